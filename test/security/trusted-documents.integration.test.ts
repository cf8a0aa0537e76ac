import { readFileSync } from 'node:fs';
import { getIntrospectionQuery, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayInfoDocument, RefreshUserTokenDocument } from '../../src/generated/graphql.js';
import { DEFAULT_TRUSTED_DOCUMENTS_PATH } from '../../src/security/trusted-documents.js';
import { ConfigError, readConfig } from '../../src/settings.js';
import { startTestGateway, type TestGateway } from '../support/loopback-gateway.js';
import { post } from '../support/requests.js';
import { newSession, refreshInput } from '../support/session.js';

const hashOf = (document: unknown) => (document as { __meta__: { hash: string } }).__meta__.hash;

describe('trusted documents (TRUSTED_DOCUMENTS=true)', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ LOG_LEVEL: 'silent', TRUSTED_DOCUMENTS: 'true' });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const untrusted = async (body: unknown, reason = 'UNTRUSTED_DOCUMENT') => {
    const before = gateway.simulator!.simulator.requests.length;
    const answer = await post(gateway.graphqlUrl, body);
    expect(answer.status).toBe(400);
    expect(answer.json.data ?? null).toBeNull();
    expect(answer.json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason });
    expect(gateway.simulator!.simulator.requests.length).toBe(before);
  };

  it('codegen writes a manifest of sha256 hashes for schema/operations/', () => {
    const manifest = JSON.parse(readFileSync(DEFAULT_TRUSTED_DOCUMENTS_PATH, 'utf8'));
    expect(Object.keys(manifest).sort()).toEqual(
      [hashOf(GatewayInfoDocument), hashOf(RefreshUserTokenDocument)].sort(),
    );
    for (const key of Object.keys(manifest)) expect(key).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('runs a manifest document named by documentId, executing the stored text', async () => {
    const answer = await post(gateway.graphqlUrl, { documentId: hashOf(GatewayInfoDocument) });
    expect(answer.status).toBe(200);
    expect(answer.json.data).toEqual({
      circleWalletsGateway: { simulated: true, version: expect.any(String) },
    });
  });

  it("runs one named by Apollo's extensions.persistedQuery.sha256Hash", async () => {
    const sha256Hash = hashOf(GatewayInfoDocument).replace('sha256:', '');
    const answer = await post(gateway.graphqlUrl, {
      extensions: { persistedQuery: { version: 1, sha256Hash } },
    });
    expect(answer.json.data).toMatchObject({ circleWalletsGateway: { simulated: true } });
  });

  it('refreshes a session by documentId with variables', async () => {
    const session = await newSession(gateway.simulator!.url);
    const answer = await post(gateway.graphqlUrl, {
      documentId: hashOf(RefreshUserTokenDocument),
      variables: {
        input: refreshInput(session),
      },
    });
    expect(answer.json.errors).toBeUndefined();
    expect(answer.json.data).toMatchObject({ refreshUserToken: { userId: session.userId } });
  });

  it('accepts the text of a manifest document, however it is formatted or its fields ordered', async () => {
    const answer = await post(gateway.graphqlUrl, { query: print(GatewayInfoDocument) });
    expect(answer.status).toBe(200);
    expect(answer.json.data).toMatchObject({ circleWalletsGateway: { simulated: true } });
  });

  it('refuses any other document, introspection included', async () => {
    await untrusted({ query: '{ circleWalletsGateway { version } }' });
    await untrusted({
      query: 'query GatewayInfo { circleWalletsGateway { simulated version __typename } }',
    });
    await untrusted({ query: getIntrospectionQuery() });
  });

  it('refuses an unknown documentId with PERSISTED_QUERY_NOT_FOUND', async () => {
    await untrusted({ documentId: `sha256:${'0'.repeat(64)}` }, 'PERSISTED_QUERY_NOT_FOUND');
    await untrusted(
      { documentId: 'nope', query: print(GatewayInfoDocument) },
      'PERSISTED_QUERY_NOT_FOUND',
    );
  });

  it('is off by default: any valid document runs', async () => {
    const open = await startTestGateway({ LOG_LEVEL: 'silent' });
    try {
      const answer = await post(open.graphqlUrl, { query: '{ circleWalletsGateway { version } }' });
      expect(answer.json.errors).toBeUndefined();
    } finally {
      await open.close();
    }
  });

  it('refuses to start with a manifest path that names no file', () => {
    expect(() => readConfig({ TRUSTED_DOCUMENTS: '/nowhere/manifest.json' })).toThrow(ConfigError);
  });
});
