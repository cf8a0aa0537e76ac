/// <reference types="@pothos/core" preserve="true" />
import { builder } from './builder.js';
import { UUID } from './scalars.js';
import { UserIdentityInput } from './user-identity-input.js';

export const RefreshUserTokenInput = builder.inputType('RefreshUserTokenInput', {
  fields: (t) => ({
    user: t.field({
      type: UserIdentityInput,
      description: 'The user the token is for: exactly one of userId or userToken.',
    }),
    deviceId: t.string({
      description: 'The device id from the Circle client SDK; the session is bound to it.',
    }),
    refreshToken: t.string({
      description:
        "The refresh token from the client SDK's performLogin, or from the previous refresh.",
    }),
    idempotencyKey: t.field({
      type: UUID,
      required: false,
      description: 'Optional. Generated when absent. Send the same key again to retry safely.',
    }),
  }),
});
