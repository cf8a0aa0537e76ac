import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCircleSessionFlow,
  type EmailLoginConfigs,
  type LoginResult,
  type WebSdk,
} from '../../examples/web-sdk/session-flow.js';
import { startTestGateway } from '../support/gateway-server.js';

/**
 * The Web SDK page's flow (examples/web-sdk/session-flow.ts) with the real gateway and simulator.
 * Circle's Web SDK itself needs Circle, so a recording stand-in plays it: its login result is a
 * simulator session on the device id it reported.
 */
describe('examples/web-sdk: the flow around the keeper', () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('device id → backend → OTP → keeper → setAuthentication, on login and on every refresh', async () => {
    const simulator = gateway.simulator!.simulator;
    const deviceId = 'web-sdk-device-1';
    const authentications: Array<{ userToken: string; encryptionKey: string }> = [];
    const backendCalls: Array<[string, string]> = [];
    let onLogin: ((error: undefined, result: LoginResult) => void) | undefined;
    const sdk: WebSdk = {
      getDeviceId: async () => deviceId,
      updateConfigs: (_configs, onLoginComplete) => {
        onLogin = onLoginComplete;
      },
      verifyOtp: () => {
        const { userToken, encryptionKey, refreshToken } = simulator.createSession({ deviceId });
        onLogin?.(undefined, { userToken, encryptionKey, refreshToken });
      },
      setAuthentication: (auth) => void authentications.push(auth),
    };
    const loggedOut: string[] = [];
    const flow = createCircleSessionFlow({
      sdk,
      appId: 'app-1',
      gatewayUrl: gateway.graphqlUrl,
      requestEmailLogin: async (id, email): Promise<EmailLoginConfigs> => {
        backendCalls.push([id, email]);
        return { deviceToken: 'device-token', deviceEncryptionKey: 'device-key' };
      },
      onLoggedOut: (error) => void loggedOut.push(error.code),
      // Node has no localStorage (or, on newer lines, one that needs a flag): this one tab's memory.
      keeper: { storage: null },
    });
    try {
      await flow.login('user@example.com');
      expect(backendCalls).toEqual([[deviceId, 'user@example.com']]);
      expect(authentications).toHaveLength(1);
      expect(flow.keeper.session?.deviceId).toBe(deviceId);
      expect(Date.parse(flow.keeper.session!.expiresAt)).toBeGreaterThan(Date.now());

      const refreshed = await flow.keeper.refreshNow();
      expect(authentications).toHaveLength(2);
      expect(authentications[1]).toEqual({
        userToken: refreshed!.userToken,
        encryptionKey: refreshed!.encryptionKey,
      });
      expect(authentications[1]!.userToken).not.toBe(authentications[0]!.userToken);

      flow.logout();
      expect(flow.keeper.session).toBeUndefined();
      expect(loggedOut).toEqual([]);
    } finally {
      flow.keeper.stop();
    }
  });
});
