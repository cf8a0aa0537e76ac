/**
 * The checks over a request's GraphQL parameters, before parsing (the token count, trusted
 * documents): plain functions in one list, which both transports run in order.
 */

/** A request's GraphQL parameters, as Yoga's parsers and the fast path read them. */
export interface GraphQLParams {
  query?: string;
  documentId?: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown> | null;
}

/** A step over the parameters: returns the parameters to run, or throws a refusal. */
export type ParamStep = (params: GraphQLParams) => GraphQLParams;

export const runParamSteps =
  (steps: readonly ParamStep[]) =>
  (params: GraphQLParams): GraphQLParams => {
    let current = params;
    for (const step of steps) current = step(current);
    return current;
  };
