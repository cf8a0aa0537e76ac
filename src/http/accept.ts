import { GatewayRefusal } from '../security/refusal.js';

/**
 * Yoga's result processors for a single result, in the order Yoga tries them (graphql-yoga
 * `useResultProcessors`: server-sent events, multipart, then the regular JSON answer).
 */
const PROCESSORS: ReadonlyArray<readonly string[]> = [
  ['text/event-stream'],
  ['multipart/mixed'],
  ['application/graphql-response+json', 'application/json'],
];

/**
 * The media type Yoga answers a single (mutation or query) result with for this Accept header, or
 * undefined when it would answer 406. This is Yoga's own negotiation, written out because Yoga
 * does not export it and makes it only after execution: the Accept types in reverse order, a
 * `charset` other than utf-8 drops a type, `q` is ignored, and the last match wins.
 * test/http/accept-negotiation.unit.test.ts compares it with Yoga's answers over a matrix of values.
 */
export function negotiateMediaType(accept: string | null | undefined): string | undefined {
  const key = accept ?? '';
  // Clients send the same few Accept values on every request: decided once each (bounded).
  if (decided.has(key)) return decided.get(key);
  const chosen = negotiate(accept);
  if (key.length <= 256) {
    if (decided.size >= 64) decided.clear();
    decided.set(key, chosen);
  }
  return chosen;
}
const decided = new Map<string, string | undefined>();

function negotiate(accept: string | null | undefined): string | undefined {
  const asked: string[] = [];
  for (const part of (accept || '*/*').replace(/\s/g, '').toLowerCase().split(',')) {
    const [mediaType, ...params] = part.split(';');
    if (mediaType === undefined) continue;
    const charset = params.find((param) => param.includes('charset=')) ?? 'charset=utf-8';
    if (charset !== 'charset=utf-8') continue;
    asked.push(mediaType);
  }
  asked.reverse();
  let chosen: string | undefined;
  for (const produced of PROCESSORS) {
    for (const wanted of asked) {
      const [wantedType, wantedSubtype] = wanted.split('/');
      for (const mediaType of produced) {
        const [type, subtype] = mediaType.split('/');
        if (
          (wantedType === '*' || wantedType === type) &&
          (wantedSubtype === '*' || wantedSubtype === subtype)
        ) {
          chosen = mediaType;
        }
      }
    }
  }
  return chosen;
}

/** Whether an Accept header names at least one type the gateway can answer with. */
export function acceptsGraphQLResponse(accept: string | null | undefined): boolean {
  return negotiateMediaType(accept) !== undefined;
}

/**
 * The refusal of an Accept the gateway cannot answer, sent before execution: Yoga would otherwise
 * execute the mutation (and Circle rotate the refresh token) and then answer an empty 406.
 */
export const notAcceptable = () =>
  new GatewayRefusal(
    'Not Acceptable: send Accept: application/graphql-response+json or application/json.',
    { code: 'BAD_USER_INPUT', reason: 'NOT_ACCEPTABLE', status: 406 },
  );
