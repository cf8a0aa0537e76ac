import { randomUUID } from 'node:crypto';
import {
  type CircleUserControlledWalletsClient,
  initiateUserControlledWalletsClient,
} from '@circle-fin/user-controlled-wallets';
import { describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../src/simulator/index.js';
import { useSimulator } from './support.js';

// Circle's own Node SDK against the simulator: if its happy path works, the simulator speaks
// Circle's protocol; if its errors carry Circle's codes, the simulator answers in Circle's shape.
const start = useSimulator();
const API_KEY = 'TEST_API_KEY:abc:def';

async function setup(): Promise<{
  running: RunningSimulator;
  client: CircleUserControlledWalletsClient;
}> {
  const running = await start();
  const client = initiateUserControlledWalletsClient({ apiKey: API_KEY, baseUrl: running.url });
  return { running, client };
}

async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  const error = await promise.then(
    () => {
      throw new Error('expected the SDK call to fail');
    },
    (caught: unknown) => caught,
  );
  return error as Record<string, unknown>;
}

describe('the official Circle SDK against the simulator', () => {
  it('refreshes by userToken, sending what Circle documents', async () => {
    const { running, client } = await setup();
    const session = running.simulator.createSession({ userId: 'sdk-user-1' });
    const idempotencyKey = randomUUID();
    const xRequestId = randomUUID();

    const response = await client.refreshUserToken({
      userToken: session.userToken,
      refreshToken: session.refreshToken,
      deviceId: session.deviceId,
      idempotencyKey,
      xRequestId,
    });

    expect(response.status).toBe(200);
    expect(response.headers['x-request-id']).toBe(xRequestId);
    expect(response.data).toEqual({
      userToken: expect.any(String),
      encryptionKey: expect.any(String),
      userID: 'sdk-user-1',
      refreshToken: expect.any(String),
    });
    const [sent] = running.simulator.requests;
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/w3s/users/token/refresh');
    expect(sent?.headers).toMatchObject({
      authorization: `Bearer ${API_KEY}`,
      'x-user-token': session.userToken,
      'x-request-id': xRequestId,
      'content-type': 'application/json',
    });
    expect(sent?.headers['user-agent']).toMatch(/^CircleNodeJS \/ UserControlledWallets \/ /);
    // Body keys in the SDK's order.
    expect(Object.keys(sent?.body as object)).toEqual([
      'idempotencyKey',
      'refreshToken',
      'deviceId',
    ]);
    expect(sent?.body).toEqual({
      idempotencyKey,
      refreshToken: session.refreshToken,
      deviceId: session.deviceId,
    });
  });

  it('generates a UUID idempotency key when given none', async () => {
    const { running, client } = await setup();
    const session = running.simulator.createSession();

    await client.refreshUserToken({
      userToken: session.userToken,
      refreshToken: session.refreshToken,
      deviceId: session.deviceId,
    });

    const body = running.simulator.requests[0]?.body as { idempotencyKey: string };
    expect(body.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refreshes by userId, minting a user token first', async () => {
    const { running, client } = await setup();
    const session = running.simulator.createSession({ userId: 'sdk-user-2' });

    const response = await client.refreshUserToken({
      userId: 'sdk-user-2',
      refreshToken: session.refreshToken,
      deviceId: session.deviceId,
    });

    expect(response.data?.userID).toBe('sdk-user-2');
    const [minted, refreshed] = running.simulator.requests;
    expect(minted?.path).toBe('/v1/w3s/users/token');
    expect(minted?.body).toEqual({ userId: 'sdk-user-2' });
    expect(minted?.headers['x-user-token']).toBeUndefined();
    expect(refreshed?.path).toBe('/v1/w3s/users/token/refresh');
    expect(refreshed?.headers['x-user-token']).not.toBe(session.userToken);
  });

  it('rotates: reusing the old refresh token fails with a 400', async () => {
    const { running, client } = await setup();
    const session = running.simulator.createSession();
    const input = {
      userToken: session.userToken,
      refreshToken: session.refreshToken,
      deviceId: session.deviceId,
    };
    const first = await client.refreshUserToken(input);

    const error = await rejection(client.refreshUserToken(input));

    expect(error).toMatchObject({ status: 400, code: 2 });
    const next = await client.refreshUserToken({
      ...input,
      userToken: first.data!.userToken,
      refreshToken: first.data!.refreshToken!,
    });
    expect(next.status).toBe(200);
  });

  it('surfaces an expired user token as Circle code 155104', async () => {
    const { running, client } = await setup();
    const session = running.simulator.createSession();
    running.simulator.advanceClock(61 * 60 * 1000);

    const error = await rejection(
      client.refreshUserToken({
        userToken: session.userToken,
        refreshToken: session.refreshToken,
        deviceId: session.deviceId,
      }),
    );

    expect(error).toMatchObject({
      name: expect.any(String),
      status: 403,
      code: 155104,
      message: 'The userToken had expired.',
    });
  });

  it('surfaces a malformed API key as 401 code 401', async () => {
    const running = await start();
    const session = running.simulator.createSession();
    const client = initiateUserControlledWalletsClient({
      apiKey: 'not-an-api-key',
      baseUrl: running.url,
    });

    const error = await rejection(
      client.refreshUserToken({
        userToken: session.userToken,
        refreshToken: session.refreshToken,
        deviceId: session.deviceId,
      }),
    );

    expect(error).toMatchObject({ status: 401, code: 401, message: 'Malformed authorization.' });
  });
});
