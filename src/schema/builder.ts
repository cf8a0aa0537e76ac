import SchemaBuilder from '@pothos/core';
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
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
});

builder.queryType({});
builder.mutationType({});
