/// <reference types="@pothos/core" preserve="true" />
import type { GatewayBuilder } from './builder.js';

export function addUserIdentityInput(builder: GatewayBuilder) {
  return builder.inputType('UserIdentityInput', {
    description: 'The user the token is for: exactly one of userId or userToken.',
    isOneOf: true,
    fields: (t) => ({
      userId: t.id({
        required: false,
        description:
          "Circle's user id. The gateway mints a user token for it first (POST /v1/w3s/users/token).",
      }),
      userToken: t.string({
        required: false,
        description: "The user's current token, the one issued together with the refresh token.",
      }),
    }),
  });
}
