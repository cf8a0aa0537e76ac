/**
 * A JWT-shaped token (header.payload.signature, base64url) carrying `claims`, e.g. `exp` in
 * seconds. The gateway only reads the payload; the signature is a placeholder nobody checks.
 */
export function jwtLike(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}
