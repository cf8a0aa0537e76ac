import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import {
  createRedisHealth,
  expectReply,
  protocolError,
  RedisTimeoutError,
  reasonOf,
} from '../../src/shared-state/redis-health.js';

const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

const tracker = (options: Parameters<typeof createRedisHealth>[0] = {}) => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { health: createRedisHealth({ logger, ...options }), lines };
};

describe('why Redis is down', () => {
  it('reads refused credentials as auth, from Redis and from the sentinels', () => {
    expect(reasonOf(replyError('WRONGPASS invalid username-password pair'))).toBe('auth');
    expect(reasonOf(replyError('NOAUTH Authentication required.'))).toBe('auth');
    expect(reasonOf(replyError('ERR invalid password'))).toBe('auth');
    expect(
      reasonOf(new Error('All sentinels are unreachable. Last error: WRONGPASS invalid pair')),
    ).toBe('auth');
  });

  it('reads a command past its deadline, a connect timeout and a start-up wait as timeout', () => {
    expect(reasonOf(new Error('Command timed out'))).toBe('timeout');
    expect(reasonOf(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }))).toBe(
      'timeout',
    );
    expect(reasonOf(new RedisTimeoutError('no answer'))).toBe('timeout');
  });

  it('reads bytes that are not RESP, and a reply a store did not expect, as protocol', () => {
    expect(reasonOf(new Error('Unknown RESP type 72 "H". Please report this.'))).toBe('protocol');
    expect(reasonOf(protocolError('rate limit take: [number, number]'))).toBe('protocol');
    expect(() => expectReply('OK', (reply) => typeof reply === 'number', 'a number')).toThrow(
      'unexpected Redis reply: a number',
    );
    expect(expectReply(3, (reply): reply is number => typeof reply === 'number', 'a number')).toBe(
      3,
    );
  });

  it('gives no reason for a refused or reset connection', () => {
    expect(
      reasonOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBeUndefined();
    expect(reasonOf(undefined)).toBeUndefined();
  });
});

describe('the health of one process', () => {
  it('says down with its reason on /ready, and up without one once a call succeeds', () => {
    const { health } = tracker();
    health.failed('rate_limit', new Error('Command timed out'));
    expect(health.status()).toMatchObject({ state: 'down', reason: 'timeout', fallbacks: 1 });
    health.succeeded();
    expect(health.status()).toEqual({ state: 'up', fallbacks: 1 });
  });

  it('logs an outage once, once more if its reason changes, and its end once', () => {
    const { health, lines } = tracker();
    health.disconnected();
    health.disconnected(new Error('Command timed out'));
    health.failed('coalescing', new Error('Command timed out'));
    health.succeeded();
    expect(lines.map((line) => [line.msg, line.reason])).toEqual([
      ['redis unreachable: each process uses its own memory until it is back', undefined],
      ['redis still unreachable, for another reason', 'timeout'],
      ['redis reachable again: limits, minted tokens and coalescing are shared', undefined],
    ]);
  });

  it('names the credential settings on auth, never a value', () => {
    const { health, lines } = tracker({ credentialSettings: ['REDIS_USERNAME', 'REDIS_PASSWORD'] });
    health.disconnected(replyError('WRONGPASS invalid username-password pair'));
    expect(lines).toEqual([
      expect.objectContaining({ reason: 'auth', check: 'REDIS_USERNAME, REDIS_PASSWORD' }),
    ]);
    expect(health.status()).toMatchObject({ state: 'down', reason: 'auth' });
  });

  it('asks for a new connection after timeouts in a row, not after one or after a success between', () => {
    let stalled = 0;
    const { health } = tracker({ onStalled: () => (stalled += 1) });
    const timeout = new Error('Command timed out');
    health.failed('rate_limit', timeout);
    health.succeeded();
    health.failed('rate_limit', timeout);
    expect(stalled).toBe(0);
    health.failed(undefined, timeout);
    expect(stalled).toBe(1);
    health.failed('rate_limit', new Error('Connection is closed.'));
    health.failed('rate_limit', timeout);
    expect(stalled).toBe(1);
  });
});
