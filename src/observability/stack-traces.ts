/**
 * Expected errors (a refused token, a bad input, Circle's 4xx) are answers, not bugs: nobody reads
 * their stack, the logs never print one, and capturing it is the dearest part of making them
 * (GraphQLError captures twice, and graphql-js and Yoga copy errors several times per response).
 * These helpers make such errors with `Error.stackTraceLimit` at 0 for the duration of the
 * constructor only; the limit is restored before anything else runs.
 */
export function withoutStackTrace<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
