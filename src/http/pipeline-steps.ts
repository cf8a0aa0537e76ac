import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { type GraphQLParams, type ParamStep, runParamSteps } from '../security/param-steps.js';

/**
 * The steps over a request's parameters and over its result, each list declared once and run in
 * order by both transports: the fast path calls `runParamSteps` and `runResultSteps` on the lists,
 * Yoga runs the same lists from the one plugin each below.
 */

/** A step over a result on its way to the client. */
export type ResultStep = (result: ExecutionResult) => ExecutionResult;

export const runResultSteps =
  (steps: readonly ResultStep[]) =>
  (result: ExecutionResult): ExecutionResult => {
    let current = result;
    for (const step of steps) current = step(current);
    return current;
  };

/** Yoga's onParams over the parameter steps. */
export function useParamSteps(steps: readonly ParamStep[]): Plugin {
  const run = runParamSteps(steps);
  return {
    onParams({ params, setParams }) {
      const next = run(params as GraphQLParams);
      if (next !== params) setParams(next as typeof params);
    },
  };
}

/** Yoga's onResultProcess over the result steps, on single results and each of a batch. */
export function useResultSteps(steps: readonly ResultStep[]): Plugin {
  const run = runResultSteps(steps);
  const one = (result: unknown) =>
    result && typeof result === 'object' && !isAsyncIterable(result)
      ? run(result as ExecutionResult)
      : result;
  return {
    onResultProcess({ result, setResult }) {
      setResult((Array.isArray(result) ? result.map(one) : one(result)) as typeof result);
    },
  };
}
