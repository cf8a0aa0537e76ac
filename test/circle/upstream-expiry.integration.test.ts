import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtLike } from '../support/jwt.js';
import { startTestGateway, type TestGateway } from '../support/loopback-gateway.js';
import { answer, startRecordingUpstream } from '../support/recording-upstream.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { post } from '../support/requests.js';

type Upstream = Awaited<ReturnType<typeof startRecordingUpstream>>;

describe.each([
  ['Yoga (FAST_PATH=false)', 'false'],
  ['the default (fast path on)', 'true'],
])('a token from Circle whose exp is unusable: %s', (_name, fastPath) => {
  let upstream: Upstream;
  let gateway: TestGateway;
  let exp: number;
  beforeAll(async () => {
    upstream = await startRecordingUpstream((call, res) =>
      answer(res, call, 200, {
        data: { userToken: jwtLike({ sub: 'u', exp }), refreshToken: 'r2' },
      }),
    );
    gateway = await startTestGateway({
      CIRCLE_API_KEY: 'TEST_API_KEY:exp-test:exp-test-secret',
      CIRCLE_BASE_URL: upstream.url,
      FAST_PATH: fastPath,
    });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  it.each([
    ['beyond the Date range', 1e300],
    ['past the year 9999', 8_000_000_000_000],
  ])('answers the token with expiresAt one hour from now when exp is %s', async (_case, value) => {
    exp = value;
    const input = { user: { userToken: jwtLike({ sub: 'u' }) }, deviceId: 'd', refreshToken: 'r' };
    const served = gateway.gateway.fastPathStats().served;
    // Twice: the second is served by the fast path when it is on.
    for (let round = 0; round < 2; round += 1) {
      const before = Date.now();
      const result = await post(gateway.graphqlUrl, {
        query: REFRESH_MUTATION,
        variables: { input },
      });
      expect(result.status).toBe(200);
      expect(result.json.errors).toBeUndefined();
      const payload = result.json.data?.refreshUserToken as {
        expiresAt: string;
        userToken: string;
      };
      expect(payload.userToken).toBe(jwtLike({ sub: 'u', exp: value }));
      const expiresAt = Date.parse(payload.expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(Math.floor((before + 3_600_000) / 1000) * 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000);
    }
    if (fastPath === 'true') expect(gateway.gateway.fastPathStats().served).toBeGreaterThan(served);
    expect(gateway.logs.join('\n')).not.toContain('unexpected error');
  });
});
