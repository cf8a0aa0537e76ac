import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefreshUserTokenDocument } from '../../src/generated/graphql.js';
import { startTestGateway } from '../support/gateway-server.js';
import { refreshInput } from '../support/session.js';

describe('the request id in the logs', () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;

  beforeAll(async () => {
    gateway = await startTestGateway({ LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const refresh = async (headers: Record<string, string> = {}) => {
    const simulator = gateway.simulator!.simulator;
    const session = simulator.createSession();
    const before = simulator.requests.length;
    const logsBefore = gateway.logs.length;
    const { response, body } = await gateway.execute(
      RefreshUserTokenDocument,
      {
        input: refreshInput(session),
      },
      headers,
    );
    expect(body.errors).toBeUndefined();
    const upstream = simulator.requests.slice(before);
    expect(upstream).toHaveLength(1);
    const lines = gateway.logs
      .slice(logsBefore)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'refreshUserToken');
    expect(lines).toHaveLength(1);
    return { response, line: lines[0]!, upstream: upstream[0]! };
  };

  it("is the X-Request-Id Circle received for that mutation, and the response's", async () => {
    const { response, line, upstream } = await refresh();
    expect(line.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(line.requestId).toBe(upstream.headers['x-request-id']);
    expect(response.headers.get('x-request-id')).toBe(line.requestId);
    expect(line).toMatchObject({ level: 'info', outcome: 'ok', path: 'userToken' });
  });

  it("is the caller's own X-Request-Id when it is a UUID", async () => {
    const mine = randomUUID();
    const { line, upstream } = await refresh({ 'x-request-id': mine });
    expect(line.requestId).toBe(mine);
    expect(upstream.headers['x-request-id']).toBe(mine);
  });
});
