import type { IncomingMessage } from 'node:http';
import {
  type Answer,
  errorAnswer,
  isPlainObject,
  jsonAnswer,
  type ParsedBody,
  singleHeader,
} from './answer.js';
import { CIRCLE_ERRORS, type FieldError, PARAMETER_INVALID } from './errors.js';
import { fingerprintOf, type IdempotencyStore } from './idempotency.js';
import type { RateLimiter } from './rate-limit.js';
import { type SimulatorState, USER_ID_MAX_LENGTH, USER_ID_MIN_LENGTH } from './state.js';

/** Circle's two token endpoints, as pure functions from a received request to an answer. */
export interface CircleApi {
  mint(req: IncomingMessage, body: ParsedBody): Answer;
  refresh(req: IncomingMessage, body: ParsedBody): Answer;
}

export interface CircleApiDeps {
  state: SimulatorState;
  idempotency: IdempotencyStore;
  rateLimiter: RateLimiter;
  rateLimits: boolean;
  acceptedApiKeys: ReadonlySet<string> | undefined;
}

/** Circle's published limits (requests per second); the scope is the API key. */
export const RATE_LIMITS = { refresh: 5, mint: 10 } as const;

const API_KEY = /^(?:TEST_API_KEY|LIVE_API_KEY):[^:\s]+:[^:\s]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const REFRESH_MESSAGES = {
  idempotencyConflict: 'Idempotency key already used with a different request.',
  refreshTokenUnknown: 'The refreshToken is not found in the system.',
  refreshTokenUsed: 'The refreshToken has already been used.',
  refreshTokenOtherUser: 'The refreshToken does not belong to the user of the X-User-Token.',
} as const;

export function createCircleApi(deps: CircleApiDeps): CircleApi {
  const { state, idempotency, rateLimiter } = deps;

  /** The checks both endpoints share: API key format, key allow-list, rate limit. */
  function admit(
    req: IncomingMessage,
    call: 'refresh' | 'mint',
  ): { ok: true; apiKey: string } | { ok: false; answer: Answer } {
    const authorization = singleHeader(req, 'authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    const apiKey = match?.[1];
    if (apiKey === undefined || !API_KEY.test(apiKey)) {
      return { ok: false, answer: errorAnswer(CIRCLE_ERRORS.malformedAuthorization) };
    }
    if (deps.acceptedApiKeys !== undefined && !deps.acceptedApiKeys.has(apiKey)) {
      return { ok: false, answer: errorAnswer(CIRCLE_ERRORS.forbidden) };
    }
    if (deps.rateLimits && !rateLimiter.tryAcquire(`${call} ${apiKey}`, RATE_LIMITS[call])) {
      const answer = errorAnswer(CIRCLE_ERRORS.rateLimited, { headers: { 'retry-after': '1' } });
      return { ok: false, answer };
    }
    return { ok: true, apiKey };
  }

  return {
    mint(req, body) {
      const admitted = admit(req, 'mint');
      if (!admitted.ok) return admitted.answer;

      const parsed = bodyFields(body);
      if (!parsed.ok) return parsed.answer;
      const { fields } = parsed;
      const problems: FieldError[] = [];
      const userId = fields.userId;
      if (userId === undefined || userId === null) {
        problems.push(required('userId'));
      } else if (
        typeof userId !== 'string' ||
        userId.length < USER_ID_MIN_LENGTH ||
        userId.length > USER_ID_MAX_LENGTH
      ) {
        problems.push(
          invalid(
            'userId',
            `must be a string of ${USER_ID_MIN_LENGTH} to ${USER_ID_MAX_LENGTH} characters`,
          ),
        );
      }
      if (problems.length > 0 || typeof userId !== 'string') return parameterInvalid(problems);

      if (!state.hasUser(userId)) return errorAnswer(CIRCLE_ERRORS.userNotFound);
      if (state.isDisabled(userId)) return errorAnswer(CIRCLE_ERRORS.userDisabled);
      const { userToken, encryptionKey } = state.issueUserToken(userId);
      return jsonAnswer(200, { data: { userToken, encryptionKey } });
    },

    refresh(req, body) {
      const admitted = admit(req, 'refresh');
      if (!admitted.ok) return admitted.answer;

      const userTokenHeader = singleHeader(req, 'x-user-token');
      const problems: FieldError[] = [];
      if (userTokenHeader === undefined || userTokenHeader.trim() === '') {
        problems.push(required('X-User-Token', 'header'));
      }
      const parsed = bodyFields(body);
      if (!parsed.ok) return parsed.answer;
      const { fields } = parsed;
      const { idempotencyKey, refreshToken, deviceId } = fields;
      for (const [name, value] of [
        ['idempotencyKey', idempotencyKey],
        ['refreshToken', refreshToken],
        ['deviceId', deviceId],
      ] as const) {
        if (value === undefined || value === null || value === '') problems.push(required(name));
        else if (typeof value !== 'string') problems.push(invalid(name, 'must be a string'));
      }
      if (
        typeof idempotencyKey === 'string' &&
        idempotencyKey !== '' &&
        !UUID.test(idempotencyKey)
      ) {
        problems.push(invalid('idempotencyKey', 'must be a UUID'));
      }
      if (
        problems.length > 0 ||
        userTokenHeader === undefined ||
        typeof idempotencyKey !== 'string' ||
        typeof refreshToken !== 'string' ||
        typeof deviceId !== 'string'
      ) {
        return parameterInvalid(problems);
      }

      // Keys are scoped to the API key, as Circle scopes them to the entity.
      const replayKey = `${admitted.apiKey} ${idempotencyKey.toLowerCase()}`;
      // The same request is the same user, refresh token and device: a retry may carry another
      // token of the same user (the userId path mints one per instance), and still replays.
      const token = state.checkUserToken(userTokenHeader);
      const user = 'userId' in token ? `user ${token.userId}` : `token ${userTokenHeader}`;
      const fingerprint = fingerprintOf({ userToken: user, refreshToken, deviceId });
      const previous = idempotency.lookup(replayKey, fingerprint);
      if (previous.kind === 'replay') return previous.answer;
      if (previous.kind === 'conflict') {
        return errorAnswer(
          { status: 400, code: PARAMETER_INVALID, message: REFRESH_MESSAGES.idempotencyConflict },
          { errors: [invalid('idempotencyKey', 'was already used with a different request')] },
        );
      }

      if (token.kind === 'invalid') return errorAnswer(CIRCLE_ERRORS.userTokenInvalid);
      if (token.kind === 'unknown') return errorAnswer(CIRCLE_ERRORS.userTokenNotFound);
      if (token.kind === 'expired') return errorAnswer(CIRCLE_ERRORS.userTokenExpired);
      if (state.isDisabled(token.userId)) return errorAnswer(CIRCLE_ERRORS.userDisabled);
      if (!state.hasDevice(deviceId)) return errorAnswer(CIRCLE_ERRORS.deviceNotFound);

      const record = state.findRefreshToken(refreshToken);
      if (record !== undefined && record.deviceId !== deviceId) {
        return errorAnswer(CIRCLE_ERRORS.deviceInvalid);
      }
      const refusal =
        record === undefined
          ? REFRESH_MESSAGES.refreshTokenUnknown
          : record.used
            ? REFRESH_MESSAGES.refreshTokenUsed
            : record.userId !== token.userId
              ? REFRESH_MESSAGES.refreshTokenOtherUser
              : undefined;
      if (refusal !== undefined) {
        return errorAnswer({ status: 400, code: PARAMETER_INVALID, message: refusal });
      }

      const next = state.rotate(refreshToken);
      const answer = jsonAnswer(200, {
        data: {
          userToken: next.userToken,
          encryptionKey: next.encryptionKey,
          userID: next.userId,
          refreshToken: next.refreshToken,
        },
      });
      idempotency.remember(replayKey, fingerprint, answer);
      return answer;
    },
  };
}

function bodyFields(
  body: ParsedBody,
): { ok: true; fields: Record<string, unknown> } | { ok: false; answer: Answer } {
  if (body.kind === 'empty') return { ok: true, fields: {} };
  if (body.kind === 'json' && isPlainObject(body.value)) return { ok: true, fields: body.value };
  const message =
    body.kind === 'invalid'
      ? 'API parameter invalid: the body is not JSON.'
      : 'API parameter invalid: the body must be a JSON object.';
  return { ok: false, answer: errorAnswer({ status: 400, code: PARAMETER_INVALID, message }) };
}

function required(location: string, what: 'field' | 'header' = 'field'): FieldError {
  return {
    error: 'required',
    message: what === 'header' ? `the ${location} header is required` : `${location} is required`,
    location,
  };
}

function invalid(location: string, rule: string): FieldError {
  return { error: 'invalid_value', message: `${location} ${rule}`, location };
}

/** Circle's code 2 answer, naming every offending field (never echoing its value: tokens). */
function parameterInvalid(problems: FieldError[]): Answer {
  return errorAnswer(
    {
      status: 400,
      code: PARAMETER_INVALID,
      message: `API parameter invalid: ${problems.map((p) => p.message).join('; ')}.`,
    },
    { errors: problems },
  );
}
