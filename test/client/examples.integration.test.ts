import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayClient, refreshWithUrql } from '../../examples/urql-client.js';
import { startTestGateway } from '../support/gateway-server.js';
import { refreshInput } from '../support/session.js';

describe('examples/urql-client.ts against the gateway on its simulator', () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;

  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('refreshes through urql with the generated document, then sees the rotation as REFRESH_REJECTED', async () => {
    const session = gateway.simulator!.simulator.createSession();
    const client = createGatewayClient(gateway.graphqlUrl);
    const input = refreshInput(session);
    const payload = await refreshWithUrql(client, input);
    expect(payload.userId).toBe(session.userId);
    expect(payload.refreshToken).not.toBe(session.refreshToken);
    expect(payload.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const error = await refreshWithUrql(client, input).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('REFRESH_REJECTED');
  });
});
