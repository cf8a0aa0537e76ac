import { GatewayRefusal } from './refusal.js';

/**
 * Decides whether this request may act for `userId`. Minting a user token by userId needs only
 * the API key the gateway holds, so without a hook anyone who knows a user id and a device's
 * refresh token can use the path: allow it only when the caller's own authentication (a session,
 * a JWT the request carries) says it is that user.
 */
export type AuthorizeUserId = (ctx: {
  request: Request;
  userId: string;
}) => boolean | Promise<boolean>;

/**
 * `enabled`: allowed (the hook, when there is one, decides); `disabled`: always FORBIDDEN;
 * `authorized`: allowed only when a hook is configured and says yes.
 */
export type UserIdPath = 'enabled' | 'disabled' | 'authorized';

export interface UserIdGuardOptions {
  /**
   * `disabled`: every userId request is FORBIDDEN; only the userToken path works. `authorized`:
   * the same unless `authorizeUserId` is given.
   * @default 'enabled'
   */
  userIdPath?: UserIdPath;
  /** @default undefined: every userId request is allowed (the contract's default) */
  authorizeUserId?: AuthorizeUserId;
}

const forbidden = (message: string, reason: 'USER_ID_PATH_DISABLED' | 'USER_ID_NOT_AUTHORIZED') =>
  new GatewayRefusal(message, { code: 'FORBIDDEN', reason, status: 403 });

/**
 * The check before any upstream call of a userId refresh: resolves when allowed, rejects with
 * FORBIDDEN (403) when not. An error thrown by the hook propagates (masked as
 * INTERNAL_SERVER_ERROR): the refresh does not go ahead either way.
 */
export function createUserIdGuard(options: UserIdGuardOptions = {}) {
  const authorize = options.authorizeUserId;
  const path = options.userIdPath ?? 'enabled';
  const enabled = path === 'enabled' || (path === 'authorized' && authorize !== undefined);
  return async (request: () => Request, userId: string): Promise<void> => {
    if (!enabled) {
      throw forbidden(
        'Refreshing by userId is turned off on this gateway. Send the userToken instead.',
        'USER_ID_PATH_DISABLED',
      );
    }
    if (authorize && (await authorize({ request: request(), userId })) !== true) {
      throw forbidden(
        'This caller may not refresh tokens for that userId.',
        'USER_ID_NOT_AUTHORIZED',
      );
    }
  };
}
