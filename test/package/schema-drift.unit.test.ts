import { readFileSync } from 'node:fs';
import { buildSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.js';
import { CONTRACT, requires } from '../support/requires.js';

const committed = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');

describe('the committed SDL (schema/schema.graphql)', () => {
  it('matches the schema the code builds', () => {
    // Compare as schemas, so a formatting choice of the printer is not a drift.
    const fromFile = printSchema(lexicographicSortSchema(buildSchema(committed)));
    expect(fromFile).toBe(printSchema(schema));
  });

  it('keeps @oneOf on UserIdentityInput', () => {
    expect(committed).toMatch(/input UserIdentityInput @oneOf \{/);
  });

  requires('shared contract').it('has every type and field of the public contract', () => {
    const contract = readFileSync(CONTRACT, 'utf8');
    const sdl = contract.match(/```graphql\n([\s\S]*?)```/)?.[1];
    if (sdl === undefined) throw new Error('contract.md has no graphql block');
    // The contract's SDL has no Query root; add an empty-enough one so it builds.
    const contractSchema = buildSchema(`${sdl}\ntype Query { _: Boolean }`);
    for (const type of Object.values(contractSchema.getTypeMap())) {
      if (type.name.startsWith('__') || type.name === 'Query') continue;
      const ours = schema.getType(type.name);
      expect(ours, `type ${type.name}`).toBeDefined();
      if ('getFields' in type && ours && 'getFields' in ours) {
        const ourFields = ours.getFields();
        for (const [name, field] of Object.entries(type.getFields())) {
          expect(String(ourFields[name]?.type), `${type.name}.${name}`).toBe(String(field.type));
        }
      }
    }
  });
});
