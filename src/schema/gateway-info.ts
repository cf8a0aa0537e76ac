/// <reference types="@pothos/core" preserve="true" />
import type { GatewayBuilder } from './builder.js';

/**
 * `Query.circleWalletsGateway`: the gateway's own schema only (a host has its own notion of
 * itself). Namespaced: composed into a supergraph beside other subgraphs, a generic
 * `gateway: GatewayInfo` would collide with theirs ("Non-shareable field").
 */
export function addGatewayInfo(builder: GatewayBuilder) {
  const CircleWalletsGatewayInfo = builder
    .objectRef<{ version: string; simulated: boolean }>('CircleWalletsGatewayInfo')
    .implement({
      description: 'About this gateway. It makes no upstream call.',
      fields: (t) => ({
        version: t.exposeString('version', { description: "The gateway's version." }),
        simulated: t.exposeBoolean('simulated', {
          description: 'True when the gateway talks to its embedded Circle simulator, not Circle.',
        }),
      }),
    });

  builder.queryField('circleWalletsGateway', (t) =>
    t.field({
      type: CircleWalletsGatewayInfo,
      description:
        'This Circle wallets gateway: its version, and whether it runs on the simulator. No upstream call.',
      resolve: (_root, _args, context) => context.gatewayInfo,
    }),
  );
  return CircleWalletsGatewayInfo;
}
