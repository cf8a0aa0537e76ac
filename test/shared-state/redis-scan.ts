import { Redis } from 'ioredis';
import { expect } from 'vitest';

export interface RedisEntry {
  key: string;
  value: string;
}

/** Every key in every database of the Redis on `port`, with its value as text. */
export async function readEveryKeyAndValue(port: number, password?: string): Promise<RedisEntry[]> {
  const redis = new Redis(port, '127.0.0.1', { password });
  const entries: RedisEntry[] = [];
  try {
    for (let db = 0; db < 16; db += 1) {
      await redis.select(db);
      for (const key of await redis.keys('*')) {
        const type = await redis.type(key);
        let value: string;
        if (type === 'string') value = (await redis.get(key)) ?? '';
        else if (type === 'hash') value = JSON.stringify(await redis.hgetall(key));
        else value = JSON.stringify(await redis.dump(key));
        entries.push({ key, value });
      }
    }
  } finally {
    redis.disconnect();
  }
  return entries;
}

/** The forms a secret could be stored in: as is, base64 (at each alignment), base64url, hex. */
export function encodingsOf(secret: string): string[] {
  const forms = new Set([secret, Buffer.from(secret).toString('hex')]);
  for (let shift = 0; shift < 3; shift += 1) {
    const shifted = Buffer.concat([Buffer.alloc(shift), Buffer.from(secret)]);
    // Drop the characters that depend on the neighbouring bytes.
    for (const encoding of ['base64', 'base64url'] as const) {
      const text = shifted.toString(encoding).replace(/=+$/, '');
      forms.add(text.slice(Math.ceil((shift * 4) / 3) + 1, -2));
    }
  }
  return [...forms].filter((form) => form.length >= 8);
}

export function expectNoSecretIn(entries: RedisEntry[], secrets: string[]): void {
  expect(entries.length).toBeGreaterThan(0);
  const text = entries.map((entry) => `${entry.key}\n${entry.value}`).join('\n');
  for (const secret of secrets) {
    for (const form of encodingsOf(secret)) {
      expect(text.includes(form), `a form of a secret (${secret.slice(0, 6)}…) is in Redis`).toBe(
        false,
      );
    }
  }
}
