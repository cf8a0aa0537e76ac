/** A simulator session, and the refresh input a frontend builds from it. */
import { postJson } from './requests.js';

export interface SessionTokens {
  userToken: string;
  deviceId: string;
  refreshToken: string;
}

export interface HttpSession extends SessionTokens {
  userId: string;
  encryptionKey: string;
}

/**
 * Creates a session over HTTP (`POST /simulator/sessions`) on the simulator at `simulatorUrl`,
 * as a frontend developer does; `request` may name the userId and deviceId.
 */
export async function newSession(
  simulatorUrl: string,
  request?: { userId?: string; deviceId?: string },
): Promise<HttpSession> {
  const response = await postJson(`${simulatorUrl}/simulator/sessions`, request);
  return (await response.json()) as HttpSession;
}

/** The `refreshUserToken` input for a session, identified by its user token. */
export const refreshInput = (session: SessionTokens, idempotencyKey?: string) => ({
  user: { userToken: session.userToken },
  deviceId: session.deviceId,
  refreshToken: session.refreshToken,
  ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
});

/** The `refreshUserToken` input for a session, identified by its userId (the mint path). */
export const refreshInputByUserId = (
  session: Omit<SessionTokens, 'userToken'> & { userId: string },
) => ({
  user: { userId: session.userId },
  deviceId: session.deviceId,
  refreshToken: session.refreshToken,
});
