import { afterEach, describe, expect, it, vi } from 'vitest';
import { readOptions } from '../../bench/lib/cli.js';
import type { TargetResult } from '../../bench/lib/measure.js';
import { countSpans } from '../../bench/lib/otlp-sink.js';
import {
  CONFIGURATIONS,
  type ConfigId,
  gatewayEnv,
  goals,
  goodRps,
  roundOrder,
  summarize,
} from '../../bench/lib/production-report.js';

/** A length-delimited protobuf field (wire type 2); lengths here stay under 128 bytes. */
const field = (n: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([(n << 3) | 2, body.length]), body]);
};
/** A varint field (wire type 0), as a span's kind is. */
const varintField = (n: number, value: number) => Buffer.from([n << 3, value]);

function result(rps: number, overrides: { unexpectedStatus?: number; errors?: number } = {}) {
  return {
    load: { rps, requests: rps * 5, socketErrors: 0, p99Ms: 1 },
    unexpectedStatus: overrides.unexpectedStatus ?? 0,
    errors: overrides.errors ?? 0,
    cpu: { serverUsPerRequest: 100 },
    upstreamCalls: { refreshPerRequest: 1 },
    machine: { othersShare: 0 },
  } as unknown as TargetResult;
}

describe('the OTLP sink counts spans', () => {
  it('counts every span of every scope of every resource in a protobuf export', () => {
    const span = (name: string) => field(2, field(5, Buffer.from(name)), varintField(6, 2));
    const body = Buffer.concat([
      field(1, field(1, field(1)), field(2, field(1), span('a'), span('b')), field(2, span('c'))),
      field(1, field(2, span('d'))),
    ]);
    expect(countSpans(body, 'application/x-protobuf')).toBe(4);
  });

  it('counts the spans of an http/json export', () => {
    const body = Buffer.from(
      JSON.stringify({
        resourceSpans: [{ scopeSpans: [{ spans: [{}, {}] }, { spans: [{}] }] }, { scopeSpans: [] }],
      }),
    );
    expect(countSpans(body, 'application/json')).toBe(3);
  });

  it('refuses a truncated protobuf body rather than miscounting it', () => {
    expect(() => countSpans(Buffer.from([0x0a, 0x05, 0x12]), undefined)).toThrow(/truncated/);
  });
});

describe('--profile production', () => {
  afterEach(() => vi.restoreAllMocks());

  it('runs userToken and userId over 3 rounds unless told otherwise', () => {
    const options = readOptions(['--profile', 'production', '--duration', '5']);
    expect(options).toMatchObject({
      profileName: 'production',
      cpuProfile: false,
      rounds: 3,
      durationS: 5,
      scenarios: ['userToken', 'userId'],
    });
    expect(readOptions(['--profile', 'production', '--rounds', '1']).rounds).toBe(1);
    expect(readOptions(['--profile', 'production', '--only', 'proxy,userToken']).scenarios).toEqual(
      ['userToken'],
    );
  });

  it('keeps the CPU profile of one scenario as --cpu-profile, with --profile-target', () => {
    const options = readOptions(['--cpu-profile', '--profile-target', 'badInput']);
    expect(options).toMatchObject({ cpuProfile: true, profileName: undefined });
    expect(options.scenarios).toEqual(['badInput']);
  });

  it('refuses an unknown profile by listing the profiles', () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    expect(() => readOptions(['--profile', 'staging'])).toThrow('exit 2');
    expect(String(stderr.mock.calls[0]?.[0])).toContain(
      'Unknown profile "staging"; --profile takes one of: production',
    );
    expect(() => readOptions(['--profile'])).toThrow('exit 2');
    expect(String(stderr.mock.calls[1]?.[0])).toContain('--cpu-profile');
  });

  it('gives each configuration the deployed settings it stands for, limiters on', () => {
    const at = { redisUrl: 'redis://127.0.0.1:1', sinkUrl: 'http://127.0.0.1:2' };
    const env = (id: ConfigId) => gatewayEnv(CONFIGURATIONS.find((c) => c.id === id)!, at);
    const limits = { RATE_LIMIT_ADDRESS_RATE: '1000000', RATE_LIMIT_DEVICE_RATE: '1000000' };
    expect(env('memory')).toEqual(limits);
    expect(env('alwaysOff')).toEqual({
      ...limits,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:2/alwaysOff',
      OTEL_TRACES_SAMPLER: 'always_off',
    });
    expect(env('redis')).toEqual({ ...limits, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(env('deployed')).toEqual({
      ...limits,
      REDIS_URL: 'redis://127.0.0.1:1',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:2/deployed',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
    });
  });

  it('rotates the order each round so every configuration takes each place', () => {
    const ids = ['a', 'b', 'c'];
    expect([0, 1, 2, 3].map((round) => roundOrder(ids, round).join(''))).toEqual([
      'abc',
      'bca',
      'cab',
      'abc',
    ]);
  });

  it('reports the median round by good req/s and judges the goals on those medians', () => {
    expect(goodRps(result(1000, { unexpectedStatus: 500 }))).toBe(900);
    const runs: Array<[ConfigId, number[]]> = [
      ['proxy', [1000, 1200, 1100]],
      ['memory', [700, 600, 650]],
      ['alwaysOff', [640, 660, 620]],
      ['deployed', [500, 520, 560]],
    ];
    const rows = summarize(
      runs.flatMap(([config, rps]) => rps.map((r) => ({ config, result: result(r) }))),
    );
    expect(rows.map((r) => [r.config.id, r.goodRps])).toEqual([
      ['proxy', 1100],
      ['memory', 650],
      ['alwaysOff', 640],
      ['deployed', 520],
    ]);
    const verdicts = goals(rows, 1100).map((g) => [g.name, g.ratio?.toFixed(3), g.holds]);
    expect(verdicts).toEqual([
      ['in-memory / proxy', '0.591', false],
      ['deployed / in-memory (Redis and traces at 10%)', '0.800', false],
      ['deployed / proxy', '0.473', false],
      ['always_off / tracing off (in memory)', '0.985', true],
    ]);
  });
});
