/**
 * Expected errors (a refused token, a bad input, Circle's 4xx) are answers, not bugs: nobody reads
 * their stack, the logs never print one, and capturing it is the dearest part of making them
 * (GraphQLError captures twice, and graphql-js and Yoga copy errors several times per response).
 * Such errors are made with `Error.stackTraceLimit` at 0 for the duration of the constructor
 * only; the limit is restored before anything else runs. Errors that come out of a bug keep
 * their stack.
 */

/**
 * Turns stack capture off until the returned function is called. For constructors, where
 * `super(…)` cannot move into a callback: call it just before `super` and the result just after.
 */
export function pauseStackTraces(): () => void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return () => {
    Error.stackTraceLimit = limit;
  };
}

/** Makes an error (or anything) with stack capture off, restoring the limit even if `make` throws. */
export function withoutStackTrace<T>(make: () => T): T {
  const resume = pauseStackTraces();
  try {
    return make();
  } finally {
    resume();
  }
}
