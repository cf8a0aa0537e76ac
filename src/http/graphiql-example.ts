/** What GraphiQL opens with: the mutation, and variables to fill in when there is no demo session. */
export const EXAMPLE_MUTATION = `# Exchange a refresh token for a new user token.
# The variables below hold a session; press Run (Ctrl+Enter).
mutation RefreshUserToken($input: RefreshUserTokenInput!) {
  refreshUserToken(input: $input) {
    userToken
    refreshToken
    encryptionKey
    userId
    expiresAt
    idempotencyKey
    requestId
  }
}
`;

export const PLACEHOLDER_VARIABLES = {
  input: {
    user: { userToken: '<the user token from your client SDK>' },
    deviceId: '<the device id from your client SDK>',
    refreshToken: '<the refresh token from performLogin or the last refresh>',
  },
};
