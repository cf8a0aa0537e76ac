/// <reference types="@pothos/core" preserve="true" />
import type { SchemaTypes } from '@pothos/core';
import { GraphQLError, responsePathAsArray } from 'graphql';
import { maskAndLog } from '../errors/unexpected.js';
import type { GatewayBuilder } from './builder.js';
import { refreshContextOf } from './context.js';
import { toGraphQLError } from './errors.js';
import { checkRefreshInput, type RawRefreshInput } from './input-rules.js';
import { addRefreshUserTokenInput } from './refresh-user-token-input.js';
import { addScalars } from './scalars.js';
import { addUserIdentityInput } from './user-identity-input.js';
import { addUserTokenPayload } from './user-token-payload.js';

/**
 * Adds `Mutation.refreshUserToken` and the types it needs (`RefreshUserTokenInput`,
 * `UserIdentityInput` with `@oneOf`, `UserTokenPayload`, the `UUID` and `DateTime` scalars) to a
 * Pothos builder: the gateway's own, or a host's. The builder must have a Mutation root
 * (`builder.mutationType({})`). At run time the resolver needs the gateway's context: the
 * gateway builds it, and in a host's Yoga server the `useRefreshUserToken` plugin supplies it.
 */
export function addRefreshUserToken<Types extends SchemaTypes>(
  hostBuilder: PothosSchemaTypes.SchemaBuilder<Types>,
): void {
  // Duck-typed, not instanceof: a host may have its own copy of @pothos/core.
  if (typeof (hostBuilder as { mutationField?: unknown } | null)?.mutationField !== 'function') {
    throw new TypeError('addRefreshUserToken needs a Pothos SchemaBuilder');
  }
  // The host's builder seen through the gateway's types: every field below spells out its
  // nullability, so the host's defaults do not change the contract, and the resolver reads its
  // context through refreshContextOf, never through the host's context type.
  const builder = hostBuilder as unknown as GatewayBuilder;
  const scalars = addScalars(builder);
  const UserIdentityInput = addUserIdentityInput(builder);
  const RefreshUserTokenInput = addRefreshUserTokenInput(builder, {
    UUID: scalars.UUID,
    UserIdentityInput,
  });
  const UserTokenPayload = addUserTokenPayload(builder, scalars);

  builder.mutationField('refreshUserToken', (t) =>
    t.field({
      type: UserTokenPayload,
      nullable: false,
      description:
        'Exchange a refresh token for a new user token (Circle: POST /v1/w3s/users/token/refresh).',
      args: { input: t.arg({ type: RefreshUserTokenInput, required: true }) },
      resolve: async (_root, { input }, rawContext, info) => {
        // Errors are made where they belong in the result, so graphql-js keeps them as they are.
        const at = () => ({ nodes: info.fieldNodes, path: responsePathAsArray(info.path) });
        const checked = checkRefreshInput(input as RawRefreshInput, at);
        if (checked instanceof GraphQLError) throw checked;
        const context = refreshContextOf(rawContext);
        try {
          return await context.refreshUserToken(checked);
        } catch (error) {
          const translated = toGraphQLError(error, at());
          if (translated instanceof GraphQLError) throw translated;
          // Masked here, not left to the server's masking: a host's Yoga in development would
          // attach the original error, and it may name a token.
          throw maskAndLog(context.log, error);
        }
      },
    }),
  );
}
