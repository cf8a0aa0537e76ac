import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type FieldNode,
  Kind,
  type ObjectValueNode,
  type OperationDefinitionNode,
  parse,
  print,
  type SelectionNode,
  type SelectionSetNode,
  stripIgnoredCharacters,
  visit,
} from 'graphql';
import { GatewayRefusal } from './refusal.js';

/** Where `npm run codegen` writes the manifest of schema/operations/ (client preset). */
export const DEFAULT_TRUSTED_DOCUMENTS_PATH = 'src/generated/persisted-documents.json';

/**
 * That manifest's absolute path, found from this file rather than the working directory: from
 * `src/security/` (a clone) and `dist/security/` (the package, which ships the manifest at the same
 * place) alike, so `TRUSTED_DOCUMENTS=true` works wherever the process was started.
 */
export const DEFAULT_TRUSTED_DOCUMENTS_FILE = fileURLToPath(
  new URL(`../../${DEFAULT_TRUSTED_DOCUMENTS_PATH}`, import.meta.url),
);

export interface TrustedDocumentsOptions {
  /** Hash → document text, as the client preset's `persisted-documents.json` holds them. */
  manifest: Readonly<Record<string, string>>;
  /**
   * Also accept a request that sends the query text itself when it is one of the manifest's
   * documents: the same sha256, or the same document up to whitespace, comments and the order of
   * fields and arguments. It executes as sent.
   * @default true
   */
  acceptMatchingText?: boolean;
}

/** Reads and checks a manifest file; throws an Error naming the path and the problem. */
export function loadTrustedDocuments(path: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`Trusted documents: cannot read ${path} (${(error as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`Trusted documents: ${path} must be a JSON object of hash to document`);
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0 || entries.some(([, text]) => typeof text !== 'string')) {
    throw new Error(`Trusted documents: ${path} must map each hash to a document string`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const sortKey = (node: SelectionNode) =>
  node.kind === Kind.FIELD
    ? `0${node.alias?.value ?? node.name.value}`
    : node.kind === Kind.FRAGMENT_SPREAD
      ? `1${node.name.value}`
      : `2${print(node)}`;
const byName = <T extends { name: { value: string } }>(a: T, b: T) =>
  a.name.value < b.name.value ? -1 : a.name.value > b.name.value ? 1 : 0;

/**
 * One spelling per document: sorted selections (but a mutation's root fields, which run in
 * order), arguments and variables, printed without ignored characters.
 */
export function canonicalDocument(text: string): string {
  const document = parse(text, { noLocation: true });
  const roots = new WeakSet<SelectionSetNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION && definition.operation === 'mutation') {
      roots.add((definition as OperationDefinitionNode).selectionSet);
    }
  }
  const sorted = visit(document, {
    SelectionSet: (node: SelectionSetNode) =>
      roots.has(node)
        ? undefined
        : {
            ...node,
            selections: [...node.selections].sort((a, b) =>
              sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0,
            ),
          },
    Field: (node: FieldNode) => ({ ...node, arguments: [...(node.arguments ?? [])].sort(byName) }),
    ObjectValue: (node: ObjectValueNode) => ({ ...node, fields: [...node.fields].sort(byName) }),
    OperationDefinition: (node: OperationDefinitionNode) => ({
      ...node,
      variableDefinitions: [...(node.variableDefinitions ?? [])].sort((a, b) =>
        byName(a.variable, b.variable),
      ),
    }),
  });
  return stripIgnoredCharacters(print(sorted));
}

const refuse = (reason: 'UNTRUSTED_DOCUMENT' | 'PERSISTED_QUERY_NOT_FOUND', message: string) =>
  new GatewayRefusal(message, { code: 'BAD_USER_INPUT', reason, status: 400 });

interface PersistedParams {
  query?: unknown;
  documentId?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } } | null;
}

/**
 * Only the manifest's documents run: a request names one by `documentId` (or Apollo's
 * `extensions.persistedQuery.sha256Hash`) and the stored text executes, or (when
 * `acceptMatchingText`) sends text that is one of them. Anything else is 400 BAD_USER_INPUT with
 * reason UNTRUSTED_DOCUMENT, or PERSISTED_QUERY_NOT_FOUND for an unknown id. A step over the
 * request's parameters, so both transports run the same check.
 */
export function createTrustedDocumentsStep(options: TrustedDocumentsOptions) {
  const byHash = new Map<string, string>();
  const canonical = new Set<string>();
  for (const [hash, text] of Object.entries(options.manifest)) {
    byHash.set(hash.replace(/^sha256:/, '').toLowerCase(), text);
    byHash.set(sha256(text), text);
    canonical.add(canonicalDocument(text));
  }
  const acceptText = options.acceptMatchingText ?? true;
  const isTrustedText = (query: string) => {
    if (byHash.has(sha256(query))) return true;
    try {
      return canonical.has(canonicalDocument(query));
    } catch {
      return false;
    }
  };
  return <P extends PersistedParams>(given: P): P => {
    const id =
      given.documentId ??
      (given.extensions && typeof given.extensions === 'object'
        ? given.extensions.persistedQuery?.sha256Hash
        : undefined);
    if (id !== undefined && id !== null) {
      const text =
        typeof id === 'string' ? byHash.get(id.replace(/^sha256:/, '').toLowerCase()) : undefined;
      if (text === undefined) {
        throw refuse('PERSISTED_QUERY_NOT_FOUND', 'This gateway has no document with that id.');
      }
      const { documentId: _dropped, ...rest } = given;
      return { ...rest, query: text } as P;
    }
    if (acceptText && typeof given.query === 'string' && isTrustedText(given.query)) return given;
    throw refuse(
      'UNTRUSTED_DOCUMENT',
      'This gateway runs only its known operations: send a documentId from its manifest.',
    );
  };
}
