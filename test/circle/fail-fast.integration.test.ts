import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorFault } from '../../src/simulator/index.js';
import { startTestGateway } from '../support/gateway-server.js';
import { jwtLike } from '../support/jwt.js';
import { answer as answerLike, startRecordingUpstream } from '../support/recording-upstream.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { postJson } from '../support/requests.js';
import {
  API_KEY,
  byToken,
  byUserId,
  FAST_ENV,
  MINT_PATH,
  REFRESH_PATH,
  type Rig,
  sleep,
  startRig,
  until,
} from './support.js';

/** The circuit breaker, the bound on in-flight calls, and the coalescing of identical refreshes. */

let rig: Rig | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

const fault = (value: Record<string, unknown>) => value as unknown as SimulatorFault;

describe('the circuit breaker', () => {
  const env = {
    CIRCUIT_FAILURE_THRESHOLD: '2',
    CIRCUIT_RESET_MS: '400',
    UPSTREAM_MAX_ATTEMPTS: '2',
  };

  it('opens after the threshold, answers at once without calling Circle, then probes and closes', async () => {
    rig = await startRig(env);
    expect((await rig.ready()).upstream.circuit).toBe('closed');
    rig.simulator.injectFault(fault({ path: 'refresh', status: 503, count: 4 }));
    for (let call = 0; call < 2; call += 1) {
      const failed = await rig.refresh(byToken(rig.session()));
      expect(failed.body.errors?.[0]?.extensions.code).toBe('UPSTREAM_UNAVAILABLE');
    }
    expect(rig.calls()).toHaveLength(4);
    expect(await rig.ready()).toMatchObject({ status: 'ready', upstream: { circuit: 'open' } });

    const from = rig.mark();
    const session = rig.session();
    const refused = await rig.refresh(byToken(session));
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      retryable: true,
    });
    expect(refused.ms).toBeLessThan(250);
    const refusedByUserId = await rig.refresh(byUserId(rig.session()));
    expect(refusedByUserId.body.errors?.[0]?.extensions.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(rig.calls(from)).toHaveLength(0);

    await sleep(420);
    expect((await rig.ready()).upstream.circuit).toBe('half-open');
    const probe = await rig.refresh(byToken(session));
    expect(probe.body.errors).toBeUndefined();
    expect(rig.calls(from)).toHaveLength(1);
    expect((await rig.ready()).upstream.circuit).toBe('closed');
    const next = await rig.refresh(byToken(rig.session()));
    expect(next.body.errors).toBeUndefined();
  });

  it('re-opens at once when the probe fails, for another full pause', async () => {
    rig = await startRig(env);
    rig.simulator.injectFault(fault({ path: 'refresh', status: 503, count: 6 }));
    await rig.refresh(byToken(rig.session()));
    await rig.refresh(byToken(rig.session()));
    await sleep(420);

    const from = rig.mark();
    const probe = await rig.refresh(byToken(rig.session()));
    expect(probe.body.errors?.[0]?.extensions.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(rig.calls(from)).toHaveLength(2);
    expect((await rig.ready()).upstream.circuit).toBe('open');
    const refused = await rig.refresh(byToken(rig.session()));
    expect(refused.body.errors?.[0]?.extensions.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(rig.calls(from)).toHaveLength(2);
  });

  it('lets one probe through while half-open and refuses the others at once', async () => {
    rig = await startRig({ ...env, UPSTREAM_ATTEMPT_TIMEOUT_MS: '1000' });
    rig.simulator.injectFault(fault({ path: 'refresh', status: 503, count: 4 }));
    await rig.refresh(byToken(rig.session()));
    await rig.refresh(byToken(rig.session()));
    await sleep(420);
    rig.simulator.injectFault(fault({ path: 'refresh', latencyMs: 300 }));
    const from = rig.mark();

    const answers = await Promise.all(
      [0, 1, 2, 3].map(() => rig!.refresh(byToken(rig!.session()))),
    );

    const codes = answers.map((a) => a.body.errors?.[0]?.extensions.code ?? 'ok').sort();
    expect(codes).toEqual([
      'UPSTREAM_UNAVAILABLE',
      'UPSTREAM_UNAVAILABLE',
      'UPSTREAM_UNAVAILABLE',
      'ok',
    ]);
    expect(rig.calls(from)).toHaveLength(1);
    expect((await rig.ready()).upstream.circuit).toBe('closed');
  });

  it('is not opened by answers about the request (4xx)', async () => {
    rig = await startRig(env);
    rig.simulator.injectFault(fault({ path: 'refresh', status: 400, code: 155113, count: 5 }));
    for (let call = 0; call < 5; call += 1) {
      const refused = await rig.refresh(byToken(rig.session()));
      expect(refused.body.errors?.[0]?.extensions.code).toBe('DEVICE_INVALID');
    }
    expect((await rig.ready()).upstream.circuit).toBe('closed');
    const next = await rig.refresh(byToken(rig.session()));
    expect(next.body.errors).toBeUndefined();
  });

  // A probe that never reached Circle (no in-flight slot) is no verdict: the circuit stays
  // half-open instead of closing on nothing.
  it('stays half-open when the probe is refused for want of a slot', async () => {
    const DOWN = 'down';
    const upstream = await startRecordingUpstream(async (call, res) => {
      // Two slow successes hold both slots; the call in between fails with a 503.
      const which = (JSON.parse(call.body) as { refreshToken: string }).refreshToken;
      if (which === DOWN) {
        await sleep(300);
        return answerLike(res, call, 503, { code: -1, message: 'down' });
      }
      await sleep(1500);
      answerLike(res, call, 200, { data: { userToken: 'new-token', refreshToken: 'rt' } });
    });
    cleanups.push(upstream.close);
    const gateway = await startTestGateway({
      ...FAST_ENV,
      CIRCLE_API_KEY: API_KEY,
      CIRCLE_BASE_URL: upstream.url,
      UPSTREAM_ATTEMPT_TIMEOUT_MS: '3000',
      MUTATION_DEADLINE_MS: '5000',
      UPSTREAM_MAX_ATTEMPTS: '1',
      UPSTREAM_MAX_IN_FLIGHT: '2',
      UPSTREAM_QUEUE_TIMEOUT_MS: '600',
      CIRCUIT_FAILURE_THRESHOLD: '1',
      CIRCUIT_RESET_MS: '100',
    });
    cleanups.push(gateway.close);
    const post = (userToken: string) =>
      postJson(gateway.graphqlUrl, {
        query: REFRESH_MUTATION,
        variables: {
          input: {
            user: { userToken: jwtLike({ sub: userToken }) },
            deviceId: 'device',
            refreshToken: userToken,
          },
        },
      }).then(
        (response) =>
          response.json() as Promise<{ errors?: Array<{ extensions: { code: string } }> }>,
      );
    const ready = async () =>
      ((await (await fetch(`${gateway.url}/ready`)).json()) as { upstream: { circuit: string } })
        .upstream.circuit;

    const slowA = post('slow-a');
    await until(() => upstream.calls.length === 1);
    const down = post(DOWN);
    await until(() => upstream.calls.length === 2);
    const slowB = post('slow-b'); // waits for a slot, gets the one the 503 frees
    expect((await down).errors?.[0]?.extensions.code).toBe('UPSTREAM_UNAVAILABLE');
    await until(() => upstream.calls.length === 3);
    await sleep(150);
    expect(await ready()).toBe('half-open');

    const probe = await post('probe');
    expect(probe.errors?.[0]?.extensions.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(upstream.calls.map((call) => call.headers['x-user-token'])).not.toContain(
      jwtLike({ sub: 'probe' }),
    );
    expect(await ready()).not.toBe('closed');
    await Promise.all([slowA, slowB]);
  });
});

describe('the bound on upstream calls in flight', () => {
  const env = {
    UPSTREAM_MAX_IN_FLIGHT: '1',
    UPSTREAM_QUEUE_TIMEOUT_MS: '200',
    UPSTREAM_ATTEMPT_TIMEOUT_MS: '2000',
    MUTATION_DEADLINE_MS: '3000',
  };

  it('makes an extra concurrent call wait, then fail fast with UPSTREAM_UNAVAILABLE', async () => {
    rig = await startRig(env);
    rig.simulator.injectFault(fault({ path: 'refresh', latencyMs: 1000 }));
    const first = rig.session();
    const slow = rig.refresh(byToken(first));
    await until(() => rig!.calls().length === 1);
    const ready = await rig.ready();
    expect(ready.upstream).toMatchObject({ inFlight: 1, queued: 0 });

    const extra = await rig.refresh(byToken(rig.session()));

    expect(extra.body.errors?.[0]?.extensions).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      retryable: true,
    });
    expect(extra.ms).toBeGreaterThanOrEqual(190);
    // Waiting for the slot instead would take until the slow call ends, about 1000 ms.
    expect(extra.ms).toBeLessThan(800);
    expect(rig.calls()).toHaveLength(1);
    const done = await slow;
    expect(done.body.errors).toBeUndefined();
    expect((await rig.ready()).upstream).toMatchObject({
      inFlight: 0,
      queued: 0,
      circuit: 'closed',
    });
    const next = await rig.refresh(byToken(rig.session()));
    expect(next.body.errors).toBeUndefined();
  });

  it('lets a waiting call through when a slot frees within the wait', async () => {
    rig = await startRig({ ...env, UPSTREAM_QUEUE_TIMEOUT_MS: '1000' });
    rig.simulator.injectFault(fault({ path: 'refresh', latencyMs: 300 }));
    const slow = rig.refresh(byToken(rig.session()));
    await until(() => rig!.calls().length === 1);

    const waiting = await rig.refresh(byToken(rig.session()));

    expect(waiting.body.errors).toBeUndefined();
    expect(waiting.ms).toBeGreaterThanOrEqual(150);
    expect((await slow).body.errors).toBeUndefined();
    expect(rig.calls()).toHaveLength(2);
  });
});

describe('identical concurrent refreshes through real HTTP', () => {
  const N = 8;
  // Long enough attempts that the slow first answer is never retried: one upstream call each.
  const env = { UPSTREAM_ATTEMPT_TIMEOUT_MS: '1000', MUTATION_DEADLINE_MS: '3000' };

  it('make one upstream refresh, and every caller gets the same payload', async () => {
    rig = await startRig(env);
    const session = rig.session();
    rig.simulator.injectFault(fault({ path: 'refresh', latencyMs: 250 }));
    const from = rig.mark();

    const answers = await Promise.all(
      Array.from({ length: N }, () => rig!.refresh(byToken(session))),
    );

    expect(rig.calls(from, REFRESH_PATH)).toHaveLength(1);
    const first = answers[0]!.body;
    expect(first.errors).toBeUndefined();
    for (const a of answers) expect(a.body).toEqual(first);
    expect(new Set(answers.map((a) => a.headers.get('x-request-id'))).size).toBe(N);
  });

  it('make one mint and one refresh on the userId path', async () => {
    rig = await startRig(env);
    const session = rig.session();
    rig.simulator.injectFault(fault({ path: 'mint', latencyMs: 150 }));
    const from = rig.mark();

    const answers = await Promise.all(
      Array.from({ length: N }, () => rig!.refresh(byUserId(session))),
    );

    expect(rig.calls(from).map((call) => call.path)).toEqual([MINT_PATH, REFRESH_PATH]);
    for (const a of answers) expect(a.body).toEqual(answers[0]!.body);
    expect(answers[0]!.body.data?.refreshUserToken.userId).toBe(session.userId);
  });

  it('share one failure too, and the session is still usable afterwards', async () => {
    rig = await startRig();
    const session = rig.session();
    rig.simulator.injectFault(fault({ path: 'refresh', hang: true, count: 3 }));
    const from = rig.mark();

    const answers = await Promise.all(
      Array.from({ length: N }, () => rig!.refresh(byToken(session))),
    );

    expect(rig.calls(from, REFRESH_PATH)).toHaveLength(3);
    for (const a of answers) {
      expect(a.body.errors?.[0]?.extensions.code).toBe('UPSTREAM_TIMEOUT');
    }
    const next = await rig.refresh(byToken(session));
    expect(next.body.errors).toBeUndefined();
  });
});
