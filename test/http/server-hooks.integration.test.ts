import { afterEach, describe, expect, it } from 'vitest';
import {
  createLogger,
  createMemoryRateLimitStore,
  type RateLimitStore,
  type RunningGateway,
  readConfig,
  startGatewayServer,
} from '../../src/public-api.js';
import { postJson } from '../support/requests.js';

/** startGatewayServer takes the code hooks createGateway takes, on top of the settings. */
const running: RunningGateway[] = [];
afterEach(async () => {
  for (const gateway of running.splice(0)) await gateway.close();
});

const REFRESH = `mutation Refresh($input: RefreshUserTokenInput!) {
  refreshUserToken(input: $input) { userToken userId }
}`;

describe('startGatewayServer hooks', () => {
  it('uses the given authorizeUserId and rate-limit store', async () => {
    const memory = createMemoryRateLimitStore();
    const keys: string[] = [];
    const store: RateLimitStore = {
      take(key, cost, rate, burst, now) {
        keys.push(key.split(':')[0] ?? key);
        return memory.take(key, cost, rate, burst, now);
      },
    };
    const config = readConfig({
      PORT: '0',
      SIMULATOR_PORT: '0',
      RATE_LIMIT_EXEMPT: 'none',
    });
    const gateway = await startGatewayServer(config, {
      logger: createLogger({ level: 'silent' }),
      authorizeUserId: ({ request, userId }) => request.headers.get('x-session-user') === userId,
      rateLimitStore: store,
    });
    running.push(gateway);
    const session = gateway.demoSession!;
    const refresh = async (headers: Record<string, string>) => {
      const response = await postJson(
        gateway.graphqlUrl,
        {
          query: REFRESH,
          variables: {
            input: {
              user: { userId: session.userId },
              deviceId: session.deviceId,
              refreshToken: session.refreshToken,
            },
          },
        },
        headers,
      );
      return (await response.json()) as {
        data?: unknown;
        errors?: Array<{ extensions: { code: string } }>;
      };
    };
    const before = gateway.simulator!.simulator.requests.length;
    const refused = await refresh({ 'x-session-user': 'someone-else' });
    expect(refused.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    expect(gateway.simulator!.simulator.requests.length).toBe(before);

    const allowed = await refresh({ 'x-session-user': session.userId! });
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data).toEqual({
      refreshUserToken: { userToken: expect.any(String), userId: session.userId },
    });
    // Every limit went through the given store: the address, its share of Circle's quota, the device.
    expect(new Set(keys)).toEqual(new Set(['address', 'upstream', 'device']));
  });
});
