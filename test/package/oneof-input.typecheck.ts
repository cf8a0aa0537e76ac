/**
 * Compile-time checks, run by `npm run typecheck` (tsc), not by vitest: the generated input type
 * makes UserIdentityInput's @oneOf a union, so a frontend cannot send both or neither key. An
 * unused `@ts-expect-error` is itself an error, so these lines fail if the union ever degrades.
 */
import type { RefreshVariables } from '../../examples/typed-client.js';

type Input = RefreshVariables['input'];
const session = { deviceId: 'device-1', refreshToken: 'refresh-1' };

export const byUserToken: Input = { ...session, user: { userToken: 'token' } };
export const byUserId: Input = { ...session, user: { userId: 'user-12345' } };

// @ts-expect-error: both userId and userToken
export const both: Input = { ...session, user: { userId: 'user-12345', userToken: 'token' } };

// @ts-expect-error: neither userId nor userToken
export const neither: Input = { ...session, user: {} };

// @ts-expect-error: null is not "the other key": it still counts as set for @oneOf
export const withNull: Input = { ...session, user: { userId: 'user-12345', userToken: null } };

// @ts-expect-error: deviceId is required
export const noDevice: Input = { refreshToken: 'refresh-1', user: { userToken: 'token' } };
