/**
 * The latest expiry the DateTime scalar can say in RFC 3339 (9999-12-31T23:59:59Z), in seconds.
 * A later `exp` (or one past the Date range) is unusable: treated as absent, so the documented
 * fallback (issue time + 60 min) applies instead of an error.
 */
const LATEST_EXP_SECONDS = 253_402_300_799;

/**
 * Reads the `exp` claim of a JWT-shaped user token. No signature check: the gateway only wants to
 * tell the caller when the token stops working, and Circle is the one that verifies it.
 */
export function readJwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const exp = (payload as { exp?: unknown } | null)?.exp;
    if (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= 0) return undefined;
    if (exp > LATEST_EXP_SECONDS) return undefined;
    return exp * 1000;
  } catch {
    return undefined;
  }
}

// JWS compact serialization: three base64url segments (unpadded; a padded one is tolerated).
const JWT_SHAPE = /^[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}$/;

const jsonObjectOf = (segment: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Whether a token is a well-formed signed JWT: a JSON header naming a signing algorithm (not
 * `none`), a JSON object payload and a signature. Circle's user tokens are; anything else is
 * refused before it costs a call to Circle (whose refresh quota all callers share). Nothing is
 * verified: Circle does that.
 */
export function isWellFormedJwt(token: string): boolean {
  if (token.length > 8_192 || !JWT_SHAPE.test(token)) return false;
  const [header = '', payload = ''] = token.split('.');
  const alg = jsonObjectOf(header)?.alg;
  return (
    typeof alg === 'string' &&
    alg !== '' &&
    alg.toLowerCase() !== 'none' &&
    jsonObjectOf(payload) !== undefined
  );
}
