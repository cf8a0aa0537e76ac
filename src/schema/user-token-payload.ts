/// <reference types="@pothos/core" preserve="true" />
import type { RefreshOutcome } from '../refresh/user-token-service.js';
import type { GatewayBuilder } from './builder.js';
import type { GatewayScalars } from './scalars.js';

// Nullability is spelled out on every field: a host's builder may default fields otherwise.
export function addUserTokenPayload(builder: GatewayBuilder, scalars: GatewayScalars) {
  return builder.objectRef<RefreshOutcome>('UserTokenPayload').implement({
    fields: (t) => ({
      userToken: t.exposeString('userToken', { nullable: false }),
      encryptionKey: t.string({ nullable: true, resolve: (p) => p.encryptionKey ?? null }),
      refreshToken: t.string({ nullable: true, resolve: (p) => p.refreshToken ?? null }),
      userId: t.id({ nullable: true, resolve: (p) => p.userId ?? null }),
      expiresAt: t.field({
        type: scalars.DateTime,
        nullable: true,
        description:
          'When userToken stops working: its JWT `exp` claim, or issue time + 60 min if it has none.',
        resolve: (p) => new Date(p.expiresAt),
      }),
      idempotencyKey: t.field({
        type: scalars.UUID,
        nullable: false,
        description:
          "The idempotency key that was sent upstream (the caller's, or the generated one).",
        resolve: (p) => p.idempotencyKey,
      }),
      requestId: t.string({
        nullable: true,
        description: "Circle's X-Request-Id for the refresh call, for support tickets.",
        resolve: (p) => p.requestId ?? null,
      }),
    }),
  });
}
