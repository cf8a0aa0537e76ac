/// <reference types="@pothos/core" preserve="true" />
// The .d.ts files tsc emits for the schema name Pothos's global `PothosSchemaTypes`; each one
// references @pothos/core so a consumer's tsc (skipLibCheck off) finds that namespace.
import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import type { GatewayContext } from './context.js';

/** The Pothos types the gateway's own files are written against. */
export interface GatewaySchemaTypes {
  Context: GatewayContext;
  Scalars: {
    UUID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
  };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
}

/** A builder the type files register on: the gateway's own, or a host's seen through these types. */
export type GatewayBuilder = PothosSchemaTypes.SchemaBuilder<
  PothosSchemaTypes.ExtendDefaultTypes<GatewaySchemaTypes>
>;

/**
 * The gateway's own Pothos builder, with its Query and Mutation roots. It defines no other type:
 * `addRefreshUserToken` and `addGatewayInfo` add them (src/schema/index.ts), and a host adds the
 * same ones to its builder.
 */
export function createGatewayBuilder(): GatewayBuilder {
  const builder = new SchemaBuilder<GatewaySchemaTypes>({
    // Federation last: it must see the fields as the other plugins left them. Neither changes the
    // schema `toSchema()` builds; they add `toSubGraphSchema()` (src/subgraph.ts).
    plugins: [DirectivesPlugin, FederationPlugin],
    defaultFieldNullability: false,
    defaultInputFieldRequiredness: true,
  });
  builder.queryType({});
  builder.mutationType({});
  return builder;
}
