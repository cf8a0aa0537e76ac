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
    return exp * 1000;
  } catch {
    return undefined;
  }
}
