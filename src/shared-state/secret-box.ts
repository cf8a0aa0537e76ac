/**
 * What the gateway puts in Redis is either a keyed hash or sealed: Redis (its dumps, its
 * replicas, whoever can run MONITOR) never holds a token, a refresh token or an encryption key in
 * the clear. Keys are HMAC-SHA256 under a key derived from the API key, so a Redis key names no
 * device, user or token and cannot be recomputed without the API key. Values are AES-256-GCM
 * under keys derived the same way (HKDF); a coalesced result is sealed under a key derived from
 * the caller's own refresh token and a salt only the gateway knows, so only someone holding that refresh token (and the
 * gateway's secret) can open it. The Redis key is the additional data: a sealed value moved to
 * another key does not open.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const SALT = 'circle-wallets-gateway/shared-state/v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

const derive = (ikm: string | Buffer, info: string, salt: string | Buffer = SALT): Buffer =>
  Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));

// IVs are random 96-bit values taken from a pool refilled 4 KiB at a time: `randomBytes(12)` is a
// system call per seal, two per refresh on the Redis path, and showed in its profile.
const IV_POOL_BYTES = 4_096;
let ivPool = Buffer.alloc(0);
let ivOffset = 0;
const nextIv = (): Buffer => {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_POOL_BYTES);
    ivOffset = 0;
  }
  ivOffset += IV_BYTES;
  return ivPool.subarray(ivOffset - IV_BYTES, ivOffset);
};

/** Seals with AES-256-GCM: `v1.<base64url(iv | ciphertext | tag)>`, bound to `aad`. */
export function seal(key: Buffer, plaintext: string, aad: string): string {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

/** Opens what `seal` made with the same key and `aad`; undefined when it does not open. */
export function open(key: Buffer, sealed: string, aad: string): string | undefined {
  if (!sealed.startsWith(`${VERSION}.`)) return undefined;
  const raw = Buffer.from(sealed.slice(VERSION.length + 1), 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    // A wrong key, a tampered value or one from another key name: as good as absent.
    return undefined;
  }
}

export interface SecretBox {
  /** A keyed hash of `material` (base64url, 128 bits): what Redis keys are made of. */
  index(material: string): string;
  /** The key minted user tokens are sealed under. */
  readonly mintKey: Buffer;
  /** The key a coalesced result is sealed under: needs this refresh token and the gateway's secret. */
  resultKey(refreshToken: string): Buffer;
}

/** Derives every key from the gateway's own secret (its Circle API key). */
export function createSecretBox(secret: string): SecretBox {
  const indexKey = derive(secret, 'index');
  const mintKey = derive(secret, 'minted-token');
  const resultSalt = derive(secret, 'coalesced-result-salt');
  return {
    index: (material) =>
      createHmac('sha256', indexKey)
        .update(material)
        .digest()
        .subarray(0, 16)
        .toString('base64url'),
    mintKey,
    // HKDF's extract step alone (HMAC under a secret salt): the refresh token is already a
    // high-entropy secret and one key is all that is needed, so the expand step would only cost.
    resultKey: (refreshToken) => createHmac('sha256', resultSalt).update(refreshToken).digest(),
  };
}
