import { type ASTNode, GraphQLError } from 'graphql';
import { isWellFormedJwt } from '../circle/jwt.js';
import { withoutStackTrace } from '../errors/stack-traces.js';
import type { RefreshInput } from '../refresh/user-token-service.js';

/**
 * Bounds on what a caller may send, checked before any upstream call. Circle requires user ids of
 * 5 to 50 characters; the other bounds are generous multiples of what Circle issues, there to
 * keep abuse and accidents (a pasted file) from reaching Circle.
 */
export const INPUT_LIMITS = {
  userId: { min: 5, max: 50 },
  userToken: { min: 1, max: 4096 },
  deviceId: { min: 1, max: 256 },
  refreshToken: { min: 1, max: 2048 },
} as const;

// A user token travels in an HTTP header: visible ASCII only, or the request cannot be sent.
const HEADER_SAFE = /^[\x21-\x7e]+$/;
// Ids and tokens are single-line; control characters are never part of one.
const NO_CONTROL = /^[^\p{Cc}]+$/u;

/**
 * Where in the operation an error belongs. An error made with it is "located": graphql-js passes
 * it through as it is instead of wrapping it in a second GraphQLError (each costs a stack trace).
 */
export interface ErrorLocation {
  nodes: readonly ASTNode[];
  path: ReadonlyArray<string | number>;
}

type Reject = (field: string, message: string) => GraphQLError;

const rejecter =
  (at: (() => ErrorLocation) | undefined): Reject =>
  (field, message) =>
    withoutStackTrace(
      () =>
        new GraphQLError(message, {
          ...at?.(),
          extensions: { code: 'BAD_USER_INPUT', field, retryable: false },
        }),
    );

function checkString(
  reject: Reject,
  field: string,
  value: string,
  limits: { min: number; max: number },
) {
  if (value.trim().length === 0) return reject(field, `${field} must not be empty.`);
  if (value.length < limits.min || value.length > limits.max) {
    return reject(
      field,
      `${field} must be ${limits.min} to ${limits.max} characters long (got ${value.length}).`,
    );
  }
  if (!NO_CONTROL.test(value))
    return reject(field, `${field} must not contain control characters.`);
  return undefined;
}

/** Raw input as GraphQL coerced it: the oneOf fields are nullable there. */
export interface RawRefreshInput {
  user: { userId?: string | number | null; userToken?: string | null };
  deviceId: string;
  refreshToken: string;
  idempotencyKey?: string | null;
}

/** Returns the checked input, or the first rule it breaks as a BAD_USER_INPUT error. */
export function checkRefreshInput(
  raw: RawRefreshInput,
  at?: () => ErrorLocation,
): RefreshInput | GraphQLError {
  const reject = rejecter(at);
  const { userId, userToken } = raw.user;
  const hasId = userId !== undefined && userId !== null;
  const hasToken = userToken !== undefined && userToken !== null;
  // graphql-js enforces @oneOf, but executors that skip it (graphql-jit) must not get through.
  if (hasId === hasToken) {
    return reject('input.user', 'input.user must have exactly one of userId or userToken.');
  }
  let user: RefreshInput['user'];
  if (hasId) {
    const id = String(userId);
    const problem = checkString(reject, 'input.user.userId', id, INPUT_LIMITS.userId);
    if (problem) return problem;
    user = { userId: id };
  } else {
    const token = userToken as string;
    const problem = checkString(reject, 'input.user.userToken', token, INPUT_LIMITS.userToken);
    if (problem) return problem;
    if (!HEADER_SAFE.test(token)) {
      return reject('input.user.userToken', 'input.user.userToken must be printable ASCII.');
    }
    user = { userToken: token };
  }
  const problem =
    checkString(reject, 'input.deviceId', raw.deviceId, INPUT_LIMITS.deviceId) ??
    checkString(reject, 'input.refreshToken', raw.refreshToken, INPUT_LIMITS.refreshToken);
  if (problem) return problem;
  // Last, after every BAD_USER_INPUT rule: Circle would answer this token 155103/155105, so the
  // caller gets that answer without a call that spends everyone's shared quota.
  if (user.userToken !== undefined && !isWellFormedJwt(user.userToken)) {
    return withoutStackTrace(
      () =>
        new GraphQLError('The user token is not a well-formed JWT (Circle issues JWTs).', {
          ...at?.(),
          extensions: {
            code: 'USER_TOKEN_INVALID',
            reason: 'NOT_A_JWT',
            field: 'input.user.userToken',
            retryable: false,
          },
        }),
    );
  }
  return {
    user,
    deviceId: raw.deviceId,
    refreshToken: raw.refreshToken,
    idempotencyKey: raw.idempotencyKey ?? undefined,
  };
}
