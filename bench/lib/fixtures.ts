import { say } from './format.js';
import type { LoadRequest } from './load.js';
import {
  graphqlRequest,
  proxyRequest,
  type Refresh,
  type Session,
  type TargetId,
  upstreamRequest,
} from './targets.js';

export async function post(
  origin: string,
  r: LoadRequest,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(origin + r.path, {
    method: 'POST',
    headers: r.headers,
    body: r.body,
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body };
}

export async function createSessions(upstreamUrl: string, n: number): Promise<Session[]> {
  const sessions: Session[] = [];
  for (let i = 0; i < n; i += 1) {
    const response = await fetch(`${upstreamUrl}/simulator/sessions`, { method: 'POST' });
    if (response.status !== 201) throw new Error(`POST /simulator/sessions: ${response.status}`);
    sessions.push((await response.json()) as Session);
  }
  return sessions;
}

/** The Circle calls the simulator has received so far, by kind. */
export async function upstreamCounts(upstreamUrl: string) {
  const counts = (await (await fetch(`${upstreamUrl}/bench/counts`)).json()) as Record<
    string,
    number
  >;
  return {
    refresh: counts['/v1/w3s/users/token/refresh'] ?? 0,
    mint: counts['/v1/w3s/users/token'] ?? 0,
  };
}

export const tokenOf = (body: unknown, path: 'upstream' | 'graphql'): unknown => {
  const json = body as {
    data?: { userToken?: unknown; refreshUserToken?: { userToken?: unknown } };
  };
  return path === 'upstream' ? json?.data?.userToken : json?.data?.refreshUserToken?.userToken;
};

/**
 * Makes the first call of every refresh (a real rotation upstream), then calls again and checks
 * the answer is the same 200: the idempotent replay every later request of the run gets.
 */
export async function primeReplays(
  what: string,
  origin: string,
  requests: LoadRequest[],
  path: 'upstream' | 'graphql',
  upstreamUrl: string,
): Promise<string> {
  const before = await upstreamCounts(upstreamUrl);
  const first = await Promise.all(requests.map((r) => post(origin, r)));
  const afterFirst = await upstreamCounts(upstreamUrl);
  const replay = await Promise.all(requests.map((r) => post(origin, r)));
  const afterReplay = await upstreamCounts(upstreamUrl);
  const firstOk = first.filter(
    (f) => f.status === 200 && typeof tokenOf(f.body, path) === 'string',
  );
  const identical = replay.filter(
    (r, i) => r.status === 200 && tokenOf(r.body, path) === tokenOf(first[i]?.body, path),
  );
  const mintsFirst = afterFirst.mint - before.mint;
  const mintsReplay = afterReplay.mint - afterFirst.mint;
  const line =
    `${what}: first call 200 ×${firstOk.length}/${requests.length}, replay 200 with the same ` +
    `tokens ×${identical.length}/${requests.length}` +
    (path === 'graphql' && mintsFirst > 0
      ? ` (mints: ${mintsFirst} on the first calls, ${mintsReplay} on the replays)`
      : '');
  if (firstOk.length !== requests.length || identical.length !== requests.length) {
    const bad = first.find((f) => f.status !== 200) ?? replay.find((r) => r.status !== 200);
    throw new Error(
      `${line}\n  e.g. HTTP ${bad?.status}: ${JSON.stringify(bad?.body).slice(0, 300)}`,
    );
  }
  return line;
}

/** The fixed refreshes of one run, each set its own sessions. */
export interface Refreshes {
  /** The upstream, proxy and userToken scenarios': the same replayed answer for all three. */
  shared: Refresh[];
  byUserId: Refresh[];
  /** Gateway B mints its own tokens: its userId refreshes need idempotency keys of their own. */
  byUserIdB: Refresh[];
  tampered: Refresh[];
  blank: Refresh[];
}

/**
 * Before any load, proves each scenario's request is the stable path: a replayed 200, the same
 * through the gateway, the proxy and straight from the upstream. Throws when it is not.
 */
export async function proveStablePath(
  scenarios: TargetId[],
  origins: { upstream: string; gateway: string; gatewayB: string | undefined; proxy: string },
  refreshes: Refreshes,
): Promise<void> {
  say(
    '\nThe stable 200 path (fixed idempotencyKey per body: the simulator replays its first answer):',
  );
  const { shared } = refreshes;
  const needsShared = scenarios.some(
    (id) => id === 'upstream' || id === 'proxy' || id === 'userToken',
  );
  if (needsShared) {
    say(
      `  ${await primeReplays('upstream direct', origins.upstream, shared.map(upstreamRequest), 'upstream', origins.upstream)}`,
    );
    const viaGateway = await post(origins.gateway, graphqlRequest(shared[0]!, 'userToken'));
    const viaProxy = await post(origins.proxy, proxyRequest(shared[0]!));
    const direct = await post(origins.upstream, upstreamRequest(shared[0]!));
    const same =
      tokenOf(viaGateway.body, 'graphql') === tokenOf(direct.body, 'upstream') &&
      (viaProxy.body as { userToken?: unknown })?.userToken === tokenOf(direct.body, 'upstream');
    say(
      `  gateway (userToken) and minimal proxy get that replayed answer: ${same ? 'yes' : 'NO'} (HTTP ${viaGateway.status}, ${viaProxy.status})`,
    );
    if (!same)
      throw new Error(`unexpected answers: ${JSON.stringify(viaGateway.body).slice(0, 300)}`);
  }
  if (scenarios.includes('userId')) {
    say(
      `  ${await primeReplays(
        'userId via gateway',
        origins.gateway,
        refreshes.byUserId.map((r) => graphqlRequest(r, 'userId')),
        'graphql',
        origins.upstream,
      )}`,
    );
    if (origins.gatewayB) {
      say(
        `  ${await primeReplays(
          'userId via gateway B',
          origins.gatewayB,
          refreshes.byUserIdB.map((r) => graphqlRequest(r, 'userId')),
          'graphql',
          origins.upstream,
        )}`,
      );
    }
  }
}
