/**
 * The use case's own refusal: the client left before Circle was called, so the refresh token was
 * not spent. A plain error with a stable code, as the Circle client's are; src/schema/errors.ts
 * turns it into the GraphQL error (BAD_USER_INPUT, reason CLIENT_GONE) with every other.
 */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
  readonly code = 'CLIENT_GONE';

  constructor() {
    super(
      'The client closed the connection before the gateway called Circle: the refresh token was not used.',
    );
  }
}

/** Recognised by its code and name, not by class identity (a second copy of the package). */
export const isClientGoneError = (error: unknown): error is ClientGoneError =>
  error instanceof Error &&
  error.name === 'ClientGoneError' &&
  (error as { code?: unknown }).code === 'CLIENT_GONE';
