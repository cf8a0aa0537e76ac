import type { CodegenConfig } from '@graphql-codegen/cli';
import { printSchema } from 'graphql';
import { schema } from './src/schema/index.js';

/**
 * Writes the committed SDL (schema/schema.graphql, sorted, with @oneOf) from the Pothos schema,
 * and typed documents for the operations in schema/operations/.
 */
const config: CodegenConfig = {
  schema: printSchema(schema),
  documents: ['schema/operations/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'schema/schema.graphql': {
      plugins: ['schema-ast'],
      config: { includeDirectives: true, sort: true },
    },
    // Typed documents for clients, tests and examples, and the trusted-documents manifest
    // (TRUSTED_DOCUMENTS=true reads persisted-documents.json): sha256 of each operation in
    // schema/operations/ to its text. Each typed document carries the same hash (`__meta__.hash`)
    // for clients to send as `documentId`.
    'src/generated/': {
      preset: 'client',
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { UUID: 'string', DateTime: 'string' },
        strictScalars: true,
      },
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: 'sha256' },
      },
    },
    // The same operations as typed strings for the browser client (src/client/): no DocumentNode,
    // so neither the client nor an app that imports it needs graphql-js at run time.
    'src/generated/client/': {
      preset: 'client',
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { UUID: 'string', DateTime: 'string' },
        strictScalars: true,
        documentMode: 'string',
      },
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: 'sha256' },
      },
    },
  },
  emitLegacyCommonJSImports: false,
};

export default config;
