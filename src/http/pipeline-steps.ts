import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { GraphQLParams } from './fast-path.js';
import { mirrored } from './plugin-guard.js';

/**
 * The gateway's HTTP-level GraphQL steps, each declared once as a plain function and run in the
 * same order by both transports: Yoga runs them from one plugin each (below), the fast path calls
 * the same list.
 */

/** A step over the request's parameters: returns the parameters to run, or throws a refusal. */
export type ParamStep = (params: GraphQLParams) => GraphQLParams;

/** A step over a result on its way to the client. */
export type ResultStep = (result: ExecutionResult) => ExecutionResult;

export const runParamSteps =
  (steps: readonly ParamStep[]) =>
  (params: GraphQLParams): GraphQLParams => {
    let current = params;
    for (const step of steps) current = step(current);
    return current;
  };

export const runResultSteps =
  (steps: readonly ResultStep[]) =>
  (result: ExecutionResult): ExecutionResult => {
    let current = result;
    for (const step of steps) current = step(current);
    return current;
  };

/** Yoga's onParams for the parameter steps (the fast path runs `runParamSteps` itself). */
export function useParamSteps(steps: readonly ParamStep[]): Plugin {
  const run = runParamSteps(steps);
  return mirrored<Plugin>({
    onParams({ params, setParams }) {
      const next = run(params as GraphQLParams);
      if (next !== params) setParams(next as typeof params);
    },
  });
}

/** Yoga's onResultProcess for the result steps, on single results and each of a batch. */
export function useResultSteps(steps: readonly ResultStep[]): Plugin {
  const run = runResultSteps(steps);
  const one = (result: unknown) =>
    result && typeof result === 'object' && !isAsyncIterable(result)
      ? run(result as ExecutionResult)
      : result;
  return mirrored<Plugin>({
    onResultProcess({ result, setResult }) {
      setResult((Array.isArray(result) ? result.map(one) : one(result)) as typeof result);
    },
  });
}
