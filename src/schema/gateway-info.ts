import type { GatewayBuilder } from './builder.js';

/** `Query.gateway`: the gateway's own schema only (a host has its own notion of itself). */
export function addGatewayInfo(builder: GatewayBuilder) {
  const GatewayInfo = builder
    .objectRef<{ version: string; simulated: boolean }>('GatewayInfo')
    .implement({
      description: 'About this gateway. It makes no upstream call.',
      fields: (t) => ({
        version: t.exposeString('version', { description: "The gateway's version." }),
        simulated: t.exposeBoolean('simulated', {
          description: 'True when the gateway talks to its embedded Circle simulator, not Circle.',
        }),
      }),
    });

  builder.queryField('gateway', (t) =>
    t.field({ type: GatewayInfo, resolve: (_root, _args, context) => context.gatewayInfo }),
  );
  return GatewayInfo;
}
