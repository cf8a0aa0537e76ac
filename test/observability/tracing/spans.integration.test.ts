import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_MUTATION } from '../../support/refresh.js';
import { refreshInput, refreshInputByUserId } from '../../support/session.js';
import {
  callerTraceparent,
  registerInMemoryTracing,
  startTracedGateway,
  traceOf,
} from './support.js';

const { exporter, tracing } = registerInMemoryTracing();
afterAll(() => tracing.shutdown());
afterEach(() => exporter.reset());

type Rig = Awaited<ReturnType<typeof startTracedGateway>>;

/** Spans end when the response is sent; the client may read it a moment before. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('spans through Yoga (fastPath: false)', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startTracedGateway(tracing, { fastPath: false });
  });
  afterAll(() => rig.close());

  it('makes one trace under the caller: HTTP request, operation, Circle call, attempt; Circle gets the attempt as parent', async () => {
    const caller = callerTraceparent();
    const session = rig.session();
    const { body } = await rig.post(
      { query: REFRESH_MUTATION, variables: { input: refreshInput(session) } },
      { traceparent: caller.header, tracestate: 'vendor=abc' },
    );
    expect(body.errors).toBeUndefined();
    await settled();
    const t = traceOf(exporter.getFinishedSpans(), caller.traceId);

    const http = t.one('POST /graphql');
    expect(http.kind).toBe(SpanKind.SERVER);
    expect(http.parentSpanContext?.spanId).toBe(caller.spanId);
    expect(http.spanContext().traceState?.get('vendor')).toBe('abc');
    expect(http.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/graphql',
      'http.response.status_code': 200,
    });

    const operation = t.one('mutation RefreshUserToken');
    expect(operation.parentSpanContext?.spanId).toBe(http.spanContext().spanId);
    expect(operation.attributes).toMatchObject({
      'graphql.operation.type': 'mutation',
      'graphql.operation.name': 'RefreshUserToken',
      'gateway.outcome': 'OK',
      'gateway.refresh.path': 'userToken',
      'gateway.refresh.coalesced': false,
    });
    expect(operation.attributes['gateway.request_id']).toMatch(/^[0-9a-f-]{36}$/);

    const call = t.one('circle refresh');
    expect(call.parentSpanContext?.spanId).toBe(operation.spanContext().spanId);
    expect(call.attributes).toMatchObject({
      'circle.call': 'refresh',
      'circle.circuit.state': 'closed',
      'circle.attempts': 1,
    });
    const [attempt, ...more] = t.childrenOf(call);
    expect(more).toEqual([]);
    expect(attempt!.kind).toBe(SpanKind.CLIENT);
    expect(attempt!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'circle.attempt': 1,
      'http.response.status_code': 200,
    });
    expect(attempt!.attributes['url.full']).toMatch(/\/v1\/w3s\/users\/token\/refresh$/);

    const received = rig.simulator.requests.at(-1)!;
    expect(received.headers.traceparent).toBe(
      `00-${caller.traceId}-${attempt!.spanContext().spanId}-01`,
    );
    expect(received.headers.tracestate).toBe('vendor=abc');
  });

  it('starts a new trace when the caller sends none, and ignores a malformed traceparent', async () => {
    await rig.post(
      { query: REFRESH_MUTATION, variables: { input: refreshInput(rig.session()) } },
      { traceparent: '00-not-a-trace-01' },
    );
    await settled();
    const http = exporter.getFinishedSpans().find((span) => span.name === 'POST /graphql')!;
    expect(http.parentSpanContext).toBeUndefined();
    const t = traceOf(exporter.getFinishedSpans(), http.spanContext().traceId);
    expect(t.spans.map((span) => span.name).sort()).toEqual([
      'POST',
      'POST /graphql',
      'circle refresh',
      'mutation RefreshUserToken',
    ]);
  });

  it('on the userId path: a mint call before the refresh, then a cache hit with no mint', async () => {
    const session = rig.session();
    const first = callerTraceparent();
    await rig.post(
      { query: REFRESH_MUTATION, variables: { input: refreshInputByUserId(session) } },
      { traceparent: first.header },
    );
    await settled();
    let t = traceOf(exporter.getFinishedSpans(), first.traceId);
    const operation = t.one('mutation RefreshUserToken');
    expect(operation.attributes).toMatchObject({
      'gateway.refresh.path': 'userId',
      'gateway.user_token_cache.hit': false,
    });
    const mint = t.one('circle mint');
    const refresh = t.one('circle refresh');
    expect(mint.parentSpanContext?.spanId).toBe(operation.spanContext().spanId);
    expect(refresh.parentSpanContext?.spanId).toBe(operation.spanContext().spanId);
    const mintAttempt = t.childrenOf(mint)[0]!;
    const mintCall = rig.simulator.requests.find((r) => r.path === '/v1/w3s/users/token')!;
    expect(mintCall.headers.traceparent).toBe(
      `00-${first.traceId}-${mintAttempt.spanContext().spanId}-01`,
    );

    // The refresh rotated the token; the minted user token stays cached for this user.
    const second = callerTraceparent();
    const again = rig.session({ userId: session.userId });
    await rig.post(
      { query: REFRESH_MUTATION, variables: { input: refreshInputByUserId(again) } },
      { traceparent: second.header },
    );
    await settled();
    t = traceOf(exporter.getFinishedSpans(), second.traceId);
    expect(t.one('mutation RefreshUserToken').attributes['gateway.user_token_cache.hit']).toBe(
      true,
    );
    expect(t.byName('circle mint')).toEqual([]);
    expect(t.byName('circle refresh')).toHaveLength(1);
  });

  it('records each attempt of a retried call, with the retry reason and delay', async () => {
    rig.simulator.injectFault({ path: 'refresh', status: 503, count: 1 });
    const caller = callerTraceparent();
    const { body } = await rig.post(
      { query: REFRESH_MUTATION, variables: { input: refreshInput(rig.session()) } },
      { traceparent: caller.header },
    );
    expect(body.errors).toBeUndefined();
    await settled();
    const t = traceOf(exporter.getFinishedSpans(), caller.traceId);
    const call = t.one('circle refresh');
    expect(call.attributes['circle.attempts']).toBe(2);
    expect(call.status.code).not.toBe(SpanStatusCode.ERROR);
    const attempts = t
      .childrenOf(call)
      .sort(
        (a, b) => Number(a.attributes['circle.attempt']) - Number(b.attributes['circle.attempt']),
      );
    expect(attempts.map((a) => a.attributes['http.response.status_code'])).toEqual([503, 200]);
    expect(attempts[0]!.attributes).toMatchObject({
      'circle.retry.reason': 'CIRCLE_HTTP_ERROR',
      'error.type': 'UPSTREAM_UNAVAILABLE',
    });
    expect(attempts[0]!.attributes['circle.retry.delay_ms']).toBeGreaterThanOrEqual(0);
    expect(attempts[0]!.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'UPSTREAM_UNAVAILABLE',
    });
    expect(attempts[1]!.attributes['http.request.resend_count']).toBe(1);
    // Each attempt told Circle its own span.
    const sent = rig.simulator.requests.slice(-2).map((r) => r.headers.traceparent);
    expect(sent).toEqual(attempts.map((a) => `00-${caller.traceId}-${a.spanContext().spanId}-01`));
  });

  it("records a Circle refusal with the contract's code on the operation, the call and the attempt", async () => {
    rig.simulator.injectFault({ path: 'refresh', status: 403, code: 155104 });
    const caller = callerTraceparent();
    const { body } = await rig.post(
      { query: REFRESH_MUTATION, variables: { input: refreshInput(rig.session()) } },
      { traceparent: caller.header },
    );
    expect(body.errors?.[0]?.extensions.code).toBe('USER_TOKEN_EXPIRED');
    await settled();
    const t = traceOf(exporter.getFinishedSpans(), caller.traceId);
    const operation = t.one('mutation RefreshUserToken');
    expect(operation.attributes).toMatchObject({
      'gateway.outcome': 'USER_TOKEN_EXPIRED',
      'error.type': 'USER_TOKEN_EXPIRED',
    });
    expect(operation.status).toEqual({ code: SpanStatusCode.ERROR, message: 'USER_TOKEN_EXPIRED' });
    const call = t.one('circle refresh');
    expect(call.attributes).toMatchObject({
      'error.type': 'USER_TOKEN_EXPIRED',
      'circle.client_error': 'CIRCLE_HTTP_ERROR',
    });
    const attempt = t.childrenOf(call)[0]!;
    expect(attempt.attributes).toMatchObject({
      'http.response.status_code': 403,
      'circle.error_code': 155104,
    });
    expect(attempt.attributes['circle.response.request_id']).toEqual(expect.any(String));
    // The HTTP request itself succeeded: a GraphQL error is a 200.
    expect(t.one('POST /graphql').status.code).toBe(SpanStatusCode.UNSET);
  });

  it('records bad input as BAD_USER_INPUT, with no Circle span', async () => {
    const caller = callerTraceparent();
    const s = rig.session();
    await rig.post(
      {
        query: REFRESH_MUTATION,
        variables: {
          input: { ...refreshInput(s), user: { userId: s.userId, userToken: s.userToken } },
        },
      },
      { traceparent: caller.header },
    );
    await settled();
    const t = traceOf(exporter.getFinishedSpans(), caller.traceId);
    expect(t.one('mutation RefreshUserToken').attributes['gateway.outcome']).toBe('BAD_USER_INPUT');
    expect(t.byName('circle refresh')).toEqual([]);
  });

  it('marks a refresh that shared an identical one in flight as coalesced', async () => {
    const session = rig.session();
    rig.simulator.injectFault({ path: 'refresh', latencyMs: 150 });
    const a = callerTraceparent();
    const b = callerTraceparent();
    const body = { query: REFRESH_MUTATION, variables: { input: refreshInput(session) } };
    await Promise.all([
      rig.post(body, { traceparent: a.header }),
      new Promise((resolve) => setTimeout(resolve, 40)).then(() =>
        rig.post(body, { traceparent: b.header }),
      ),
    ]);
    await settled();
    const first = traceOf(exporter.getFinishedSpans(), a.traceId);
    const second = traceOf(exporter.getFinishedSpans(), b.traceId);
    expect(first.one('mutation RefreshUserToken').attributes['gateway.refresh.coalesced']).toBe(
      false,
    );
    expect(second.one('mutation RefreshUserToken').attributes['gateway.refresh.coalesced']).toBe(
      true,
    );
    expect(second.byName('circle refresh')).toEqual([]);
  });

  it('puts the trace id and span id on the log lines written inside the trace', async () => {
    const caller = callerTraceparent();
    const from = rig.logs.length;
    await rig.post(
      { query: REFRESH_MUTATION, variables: { input: refreshInput(rig.session()) } },
      { traceparent: caller.header },
    );
    await settled();
    const operation = traceOf(exporter.getFinishedSpans(), caller.traceId).one(
      'mutation RefreshUserToken',
    );
    const line = rig.logs
      .slice(from)
      .map((text) => JSON.parse(text) as Record<string, unknown>)
      .find((entry) => entry.msg === 'refreshUserToken')!;
    expect(line).toMatchObject({
      trace_id: caller.traceId,
      span_id: operation.spanContext().spanId,
    });
  });
});

describe('spans on the fast path (fastPath: true)', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startTracedGateway(tracing, { fastPath: true });
    // Yoga serves a document first; the fast path serves it from then on.
    await rig.post({ query: REFRESH_MUTATION, variables: { input: refreshInput(rig.session()) } });
  });
  afterAll(() => rig.close());

  it('traces the HTTP request and the Circle call, and sends traceparent to Circle', async () => {
    const served = rig.gateway.fastPathStats().served;
    const caller = callerTraceparent();
    const { body } = await rig.post(
      { query: REFRESH_MUTATION, variables: { input: refreshInput(rig.session()) } },
      { traceparent: caller.header },
    );
    expect(body.errors).toBeUndefined();
    expect(rig.gateway.fastPathStats().served).toBe(served + 1);
    await settled();
    const t = traceOf(exporter.getFinishedSpans(), caller.traceId);
    const http = t.one('POST /graphql');
    expect(http.parentSpanContext?.spanId).toBe(caller.spanId);
    const call = t.one('circle refresh');
    const attempt = t.childrenOf(call)[0]!;
    expect(rig.simulator.requests.at(-1)!.headers.traceparent).toBe(
      `00-${caller.traceId}-${attempt.spanContext().spanId}-01`,
    );
    // The call hangs inside the request's trace (under the operation span: the test below).
    const ancestors = new Set(t.spans.map((span) => span.spanContext().spanId));
    expect(ancestors.has(call.parentSpanContext!.spanId)).toBe(true);
  });

  it('has the GraphQL operation span between the request and the Circle call', async () => {
    const caller = callerTraceparent();
    await rig.post(
      { query: REFRESH_MUTATION, variables: { input: refreshInput(rig.session()) } },
      { traceparent: caller.header },
    );
    await settled();
    const t = traceOf(exporter.getFinishedSpans(), caller.traceId);
    const http = t.one('POST /graphql');
    const operation = t.one('mutation RefreshUserToken');
    expect(operation.parentSpanContext?.spanId).toBe(http.spanContext().spanId);
    expect(operation.attributes['gateway.outcome']).toBe('OK');
    expect(t.one('circle refresh').parentSpanContext?.spanId).toBe(operation.spanContext().spanId);
  });
});

describe('a circuit that is open', () => {
  it('records the refused call: no attempt, the circuit state, UPSTREAM_UNAVAILABLE', async () => {
    const rig = await startTracedGateway(tracing, {
      fastPath: false,
      clientOptions: {
        circuitBreaker: { failureThreshold: 1, resetAfterMs: 60_000 },
        retry: { maxAttempts: 1 },
      },
    });
    try {
      rig.simulator.injectFault({ path: 'refresh', status: 503, count: 1 });
      await rig.post({
        query: REFRESH_MUTATION,
        variables: { input: refreshInput(rig.session()) },
      });
      const caller = callerTraceparent();
      const { body } = await rig.post(
        { query: REFRESH_MUTATION, variables: { input: refreshInput(rig.session()) } },
        { traceparent: caller.header },
      );
      expect(body.errors?.[0]?.extensions.code).toBe('UPSTREAM_UNAVAILABLE');
      await settled();
      const t = traceOf(exporter.getFinishedSpans(), caller.traceId);
      const call = t.one('circle refresh');
      expect(call.attributes).toMatchObject({
        'circle.circuit.state': 'open',
        'circle.attempts': 0,
        'circle.client_error': 'CIRCLE_CIRCUIT_OPEN',
        'error.type': 'UPSTREAM_UNAVAILABLE',
      });
      expect(t.childrenOf(call)).toEqual([]);
    } finally {
      await rig.close();
    }
  });
});
