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
