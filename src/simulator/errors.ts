/**
 * The error answers the simulator gives, in Circle's shape `{ code, message }`. Messages for the
 * 155xxx codes are Circle's own, as listed in the official SDK's error classes, so a client that
 * shows or matches them behaves the same against the simulator as against Circle.
 */

export interface CircleErrorBody {
  code: number;
  message: string;
  /** Circle adds per-field details to some parameter errors. */
  errors?: FieldError[];
}

export interface FieldError {
  error: 'required' | 'invalid_value';
  message: string;
  location: string;
}

export interface CircleErrorSpec {
  status: number;
  code: number;
  message: string;
}

export const CIRCLE_ERRORS = {
  malformedAuthorization: { status: 401, code: 401, message: 'Malformed authorization.' },
  forbidden: { status: 403, code: 3, message: 'Forbidden.' },
  notFound: { status: 404, code: 404, message: 'Not found.' },
  methodNotAllowed: { status: 405, code: 405, message: 'Method not allowed.' },
  payloadTooLarge: { status: 413, code: 413, message: 'Payload too large.' },
  rateLimited: { status: 429, code: 429, message: 'Too many requests.' },
  internal: { status: 500, code: -1, message: 'Something went wrong.' },
  userNotFound: { status: 404, code: 155102, message: 'Cannot find the user id in the system.' },
  userTokenNotFound: {
    status: 401,
    code: 155103,
    message: 'Cannot find the user token in the system.',
  },
  userTokenExpired: { status: 403, code: 155104, message: 'The userToken had expired.' },
  userTokenInvalid: { status: 403, code: 155105, message: 'The userToken is invalid.' },
  userDisabled: { status: 409, code: 155109, message: 'The specified user has been disabled.' },
  deviceNotFound: {
    status: 400,
    code: 155113,
    message: 'Provided device ID is not found in the system.',
  },
  deviceInvalid: { status: 400, code: 155137, message: "User's device ID is invalid." },
} as const satisfies Record<string, CircleErrorSpec>;

/** Circle's generic "parameter invalid" code, used where Circle documents nothing more precise. */
export const PARAMETER_INVALID = 2;

/** Message used for a fault's `status` when the fault names none. */
export function defaultMessageForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'Bad request.';
    case 401:
      return 'Malformed authorization.';
    case 403:
      return 'Forbidden.';
    case 404:
      return 'Not found.';
    case 409:
      return 'Conflict.';
    case 429:
      return 'Too many requests.';
    case 502:
      return 'Bad gateway.';
    case 503:
      return 'Service unavailable.';
    case 504:
      return 'Gateway timeout.';
    default:
      return status >= 500 ? 'Something went wrong.' : 'Request failed.';
  }
}

/** Circle answers 5xx with code -1 ("something went wrong") and echoes the status otherwise. */
export function defaultCodeForStatus(status: number): number {
  return status >= 500 ? -1 : status;
}
