import type { BenchOptions } from './cli.js';
import { say } from './format.js';
import { startRedisProcess } from './redis-process.js';
import { children } from './servers.js';

/**
 * The limiters on, at rates no run reaches: a run on Redis pays for its buckets, and the one it
 * is compared with pays for its in-memory ones, rather than one of them running none.
 */
export const LIMITS_ON = { RATE_LIMIT_ADDRESS_RATE: '1000000', RATE_LIMIT_DEVICE_RATE: '1000000' };

/**
 * --redis: starts a redis-server for the run and gives its REDIS_URL to gateway B (or, with
 * --cpu-profile, to the profiled gateway) through `options.abEnv`. Returns gateway A's extra settings.
 *
 * It compares the limiters too: on for A and B, at rates no run reaches, not off.
 */
export async function prepareRedis(options: BenchOptions): Promise<Record<string, string>> {
  if (!options.redis) return {};
  const limitsOn = { ...LIMITS_ON };
  Object.assign(options.abEnv, limitsOn);
  say('--redis: both gateways run their rate limiters (rates 1000000/s): memory (A), Redis (B)');
  const redis = await startRedisProcess();
  children.push(redis);
  options.abEnv.REDIS_URL = redis.url;
  return limitsOn;
}
