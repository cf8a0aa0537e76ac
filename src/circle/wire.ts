/** Circle's wire shapes and the checks that turn an answer body into typed data. */

export interface RefreshUserTokenRequest {
  userToken: string;
  refreshToken: string;
  deviceId: string;
}

export interface CreateUserTokenRequest {
  userId: string;
}

/** The `data` of a 200 from POST /v1/w3s/users/token/refresh. Only `userToken` is guaranteed. */
export interface RefreshedUserToken {
  userToken: string;
  encryptionKey: string | undefined;
  userId: string | undefined;
  refreshToken: string | undefined;
}

/** The `data` of a 200 from POST /v1/w3s/users/token. */
export interface MintedUserToken {
  userToken: string;
  encryptionKey: string | undefined;
}

/** What a successful call returns: the data and Circle's request id for it. */
export interface CircleResult<T> {
  data: T;
  /** Circle's `X-Request-Id` response header, or the one the gateway sent. */
  requestId: string | undefined;
}

const optionalString = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/** Returns the `data` object of a 200 body, or a reason why the body is not one. */
function dataObject(body: unknown): Record<string, unknown> | string {
  if (typeof body !== 'object' || body === null) return 'the body is not a JSON object';
  const data = (body as { data?: unknown }).data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'no data object';
  const record = data as Record<string, unknown>;
  if (typeof record.userToken !== 'string' || record.userToken.length === 0) {
    return 'no userToken string';
  }
  return record;
}

export function parseRefreshedUserToken(body: unknown): RefreshedUserToken | string {
  const data = dataObject(body);
  if (typeof data === 'string') return data;
  return {
    userToken: data.userToken as string,
    encryptionKey: optionalString(data.encryptionKey),
    // Circle spells it `userID`; read `userId` too in case that ever changes.
    userId: optionalString(data.userID) ?? optionalString(data.userId),
    refreshToken: optionalString(data.refreshToken),
  };
}

export function parseMintedUserToken(body: unknown): MintedUserToken | string {
  const data = dataObject(body);
  if (typeof data === 'string') return data;
  return { userToken: data.userToken as string, encryptionKey: optionalString(data.encryptionKey) };
}

/** Longest Circle message text the gateway passes on; Circle's are one short sentence. */
const MAX_MESSAGE_LENGTH = 300;

/** Circle's error body `{code, message}`; anything else yields nothing rather than a guess. */
export function parseErrorBody(text: string): { code?: number; message?: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof body !== 'object' || body === null) return {};
  const { code, message } = body as { code?: unknown; message?: unknown };
  const result: { code?: number; message?: string } = {};
  if (typeof code === 'number' && Number.isInteger(code)) result.code = code;
  if (typeof message === 'string') result.message = message.slice(0, MAX_MESSAGE_LENGTH);
  return result;
}
