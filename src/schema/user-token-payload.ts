/// <reference types="@pothos/core" preserve="true" />
import { GraphQLError, responsePathAsArray } from 'graphql';
import type { RefreshOutcome } from '../circle/user-token-service.js';
import { builder } from './builder.js';
import { toGraphQLError } from './errors.js';
import { checkRefreshInput, type RawRefreshInput } from './input-rules.js';
import { RefreshUserTokenInput } from './refresh-user-token-input.js';
import { DateTime, UUID } from './scalars.js';

export const UserTokenPayload = builder.objectRef<RefreshOutcome>('UserTokenPayload').implement({
  fields: (t) => ({
    userToken: t.exposeString('userToken'),
    encryptionKey: t.string({ nullable: true, resolve: (p) => p.encryptionKey ?? null }),
    refreshToken: t.string({ nullable: true, resolve: (p) => p.refreshToken ?? null }),
    userId: t.id({ nullable: true, resolve: (p) => p.userId ?? null }),
    expiresAt: t.field({
      type: DateTime,
      nullable: true,
      description:
        'When userToken stops working: its JWT `exp` claim, or issue time + 60 min if it has none.',
      resolve: (p) => new Date(p.expiresAt),
    }),
    idempotencyKey: t.field({
      type: UUID,
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

builder.mutationField('refreshUserToken', (t) =>
  t.field({
    type: UserTokenPayload,
    description:
      'Exchange a refresh token for a new user token (Circle: POST /v1/w3s/users/token/refresh).',
    args: { input: t.arg({ type: RefreshUserTokenInput }) },
    resolve: async (_root, { input }, context, info) => {
      // Errors are made where they belong in the result, so graphql-js keeps them as they are.
      const at = () => ({ nodes: info.fieldNodes, path: responsePathAsArray(info.path) });
      const checked = checkRefreshInput(input as RawRefreshInput, at);
      if (checked instanceof GraphQLError) throw checked;
      try {
        return await context.refreshUserToken(checked);
      } catch (error) {
        const translated = toGraphQLError(error, at());
        if (!(translated instanceof GraphQLError)) {
          // Masked for the caller as "Unexpected error."; the log keeps the name, never the message.
          context.log.error('unexpected error', {
            errorName: error instanceof Error ? error.name : typeof error,
          });
        }
        throw translated;
      }
    },
  }),
);
