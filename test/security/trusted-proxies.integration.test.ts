import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalAddress,
  createForwardedAddressResolver,
  rateLimitKey,
} from '../../src/security/client-address.js';
import { startTestGateway, type TestGateway } from '../support/loopback-gateway.js';
import { post } from '../support/requests.js';

describe('canonicalAddress', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    [' 203.0.113.7 ', '203.0.113.7'],
    ['203.0.113.7:8080', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:cb00:7107', '203.0.113.7'],
    ['[::ffff:203.0.113.7]:443', '203.0.113.7'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
  ])('writes %j as %j', (raw, canonical) => {
    expect(canonicalAddress(raw)).toBe(canonical);
  });

  it.each(['unknown', 'example.com', '', '1.2.3', '203.0.113.7:x', '_hidden', '999.1.1.1'])(
    'says %j is not an address',
    (raw) => {
      expect(canonicalAddress(raw)).toBeUndefined();
    },
  );
});

describe('rateLimitKey', () => {
  it('keys IPv6 by its /64 and IPv4 by the address', () => {
    expect(rateLimitKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(rateLimitKey('2001:DB8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(rateLimitKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(rateLimitKey('::1')).toBe('0:0:0:0::/64');
    expect(rateLimitKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });
});

describe('the forwarded address behind trusted proxies', () => {
  const resolve = createForwardedAddressResolver({ trustProxy: ['loopback', '10.0.0.0/8'] });

  it('takes the rightmost untrusted hop, canonical', () => {
    expect(resolve('127.0.0.1', '198.51.100.1, 203.0.113.7:5555')).toBe('203.0.113.7');
    expect(resolve('::ffff:127.0.0.1', '203.0.113.7, 10.1.2.3')).toBe('203.0.113.7');
    expect(resolve('127.0.0.1', '[2001:DB8::5]:80')).toBe('2001:db8::5');
  });

  it("takes the trusted proxy's own address for a hop that is not an address", () => {
    expect(resolve('127.0.0.1', 'unknown')).toBe('127.0.0.1');
    expect(resolve('127.0.0.1', '203.0.113.7, junk, 10.1.2.3')).toBe('10.1.2.3');
    expect(resolve('127.0.0.1', '203.0.113.7, not-an-address')).toBe('127.0.0.1');
  });

  it('ignores the header from a peer that is not trusted', () => {
    expect(resolve('198.51.100.20', '203.0.113.7')).toBe('198.51.100.20');
  });
});

describe.each([
  ['Yoga (FAST_PATH=false)', 'false'],
  ['the default (fast path on)', 'true'],
])(
  'with TRUST_PROXY, a client gets one bucket however it spells its address: %s',
  (_n, fastPath) => {
    let gateway: TestGateway;
    beforeAll(async () => {
      gateway = await startTestGateway({
        LOG_LEVEL: 'silent',
        FAST_PATH: fastPath,
        TRUST_PROXY: 'loopback',
        RATE_LIMIT_EXEMPT: 'none',
        RATE_LIMIT_ADDRESS_RATE: '1',
        RATE_LIMIT_ADDRESS_BURST: '3',
      });
    });
    afterAll(() => gateway.close());
    const from = async (xff: string) =>
      (
        await post(
          gateway.graphqlUrl,
          { query: '{ circleWalletsGateway { version } }' },
          { 'x-forwarded-for': xff },
        )
      ).status;

    it.each([
      [
        'ports and IPv4-mapped spellings',
        ['203.0.113.7', '203.0.113.7:1111', '::ffff:203.0.113.7', '[::ffff:cb00:7107]:2222'],
      ],
      [
        'addresses inside one IPv6 /64',
        [
          '2001:db8:7:7::1',
          '2001:DB8:7:7::2',
          '[2001:db8:7:7:abcd::3]:443',
          '2001:db8:7:7:ffff:ffff:ffff:ffff',
        ],
      ],
      [
        'values that are not addresses (the proxy’s own bucket)',
        ['unknown', 'foo', '_hidden', '127.0.0.1'],
      ],
    ])('refuses the fourth of %s', async (_case, spellings) => {
      const statuses = [];
      for (const xff of spellings) statuses.push(await from(xff));
      expect(statuses).toEqual([200, 200, 200, 429]);
    });

    it('keeps another /64 apart', async () => {
      expect(await from('2001:db8:7:8::1')).toBe(200);
    });
  },
);
