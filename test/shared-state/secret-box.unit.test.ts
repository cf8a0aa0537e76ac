import { describe, expect, it } from 'vitest';
import { createSecretBox, open, seal } from '../../src/shared-state/secret-box.js';

describe('sealed values', () => {
  const box = createSecretBox('TEST_API_KEY:box:secret');

  it('open with the same key and key name, and with nothing else', () => {
    const sealed = seal(box.mintKey, 'a user token', 'cwg:mint:v2:{u}');
    expect(sealed).not.toContain('a user token');
    expect(open(box.mintKey, sealed, 'cwg:mint:v2:{u}')).toBe('a user token');
    expect(open(box.mintKey, sealed, 'cwg:mint:v2:{other}')).toBeUndefined();
    expect(open(box.resultKey('a refresh token'), sealed, 'cwg:mint:v2:{u}')).toBeUndefined();
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(open(box.mintKey, tampered, 'cwg:mint:v2:{u}')).toBeUndefined();
  });

  it('never share an IV, across many refills of the IV pool', () => {
    const ivs = new Set<string>();
    const count = 2_000;
    for (let i = 0; i < count; i++) {
      const raw = Buffer.from(seal(box.mintKey, 'same text', 'k').slice(3), 'base64url');
      ivs.add(raw.subarray(0, 12).toString('hex'));
    }
    expect(ivs.size).toBe(count);
  });
});
