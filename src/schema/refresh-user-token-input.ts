/// <reference types="@pothos/core" preserve="true" />
import type { GatewayBuilder } from './builder.js';
import type { GatewayScalars } from './scalars.js';
import type { addUserIdentityInput } from './user-identity-input.js';

// `required` is spelled out on every field: a host's builder may default input fields otherwise.
export function addRefreshUserTokenInput(
  builder: GatewayBuilder,
  refs: {
    UUID: GatewayScalars['UUID'];
    UserIdentityInput: ReturnType<typeof addUserIdentityInput>;
  },
) {
  return builder.inputType('RefreshUserTokenInput', {
    fields: (t) => ({
      user: t.field({
        type: refs.UserIdentityInput,
        required: true,
        description: 'The user the token is for: exactly one of userId or userToken.',
      }),
      deviceId: t.string({
        required: true,
        description: 'The device id from the Circle client SDK; the session is bound to it.',
      }),
      refreshToken: t.string({
        required: true,
        description:
          "The refresh token from the client SDK's performLogin, or from the previous refresh.",
      }),
      idempotencyKey: t.field({
        type: refs.UUID,
        required: false,
        description: 'Optional. Generated when absent. Send the same key again to retry safely.',
      }),
    }),
  });
}
