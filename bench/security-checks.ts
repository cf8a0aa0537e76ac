/**
 * Per-request cost of the input checks on every refresh: the JWT shape check of the
 * userToken, the forwarded-address resolution behind a trusted proxy, and the IPv6 /64 key.
 *   npx tsx bench/security-checks.ts
 */
import { isWellFormedJwt } from '../src/circle/jwt.js';
import { createForwardedAddressResolver, rateLimitKey } from '../src/security/client-address.js';

const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const token = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ sub: 'a'.repeat(36), iat: 1, exp: 2, jti: 'x'.repeat(36) })}.${'s'.repeat(342)}`;
const resolve = createForwardedAddressResolver({ trustProxy: ['loopback'] });
const time = (name: string, f: () => unknown, n = 200_000) => {
  for (let i = 0; i < 10_000; i++) f();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  console.log(name, (Number(process.hrtime.bigint() - t) / n / 1000).toFixed(2), 'µs');
};
time('isWellFormedJwt (RS256-sized token)', () => isWellFormedJwt(token));
time('forwarded address, trusted proxy', () => resolve('127.0.0.1', '203.0.113.7'));
time('rateLimitKey IPv6', () => rateLimitKey('2001:db8:1:2::1'));
