/// <reference types="@pothos/core" preserve="true" />
// The .d.ts files tsc emits for the schema name Pothos's global `PothosSchemaTypes`; each one
// references @pothos/core so a consumer's tsc (skipLibCheck off) finds that namespace.
import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import type { GatewayContext } from './context.js';

/** The one Pothos builder. It defines no types: each type file adds its own. */
export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  Scalars: {
    UUID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
  };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
}>({
  // Federation last: it must see the fields as the other plugins left them. Neither changes the
  // schema `toSchema()` builds; they add `toSubGraphSchema()` (src/subgraph.ts).
  plugins: [DirectivesPlugin, FederationPlugin],
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
});

builder.queryType({});
builder.mutationType({});
