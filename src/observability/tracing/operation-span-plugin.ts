/**
 * The span of each GraphQL operation, as an execution-level envelop plugin: it runs wherever
 * Yoga's execute runs, and resolvers (so the Circle calls) run inside it.
 *
 * Written here rather than taken from `@envelop/opentelemetry` or Hive's plugin: both record the
 * document text, and a document may carry a refresh token as an inline literal
 * (`refreshUserToken(input: { refreshToken: "…" })`). This span records the operation's type and
 * name, the gateway's request id and the outcome as the contract's code; never the document, the
 * variables, a result or an error message.
 */
import { context, propagation, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ContractCodes } from './contract-codes.js';

/** Longest operation name recorded; a name is the client's text, bounded like any other. */
const MAX_NAME_LENGTH = 100;

/** The contract code a client sees for this error (the rules of useErrorCodes and masking). */
function codeOf(error: GraphQLError, contractCodes: ReadonlySet<string>): string {
  const code = error.extensions?.code;
  if (typeof code === 'string' && contractCodes.has(code)) return code;
  // A resolver threw something that is not a GraphQLError: Yoga masks it as an internal error.
  if (error.originalError && !(error.originalError instanceof GraphQLError)) {
    return 'INTERNAL_SERVER_ERROR';
  }
  // Raised before or outside resolvers (variables, coercion): the caller's input.
  return 'BAD_USER_INPUT';
}

const fetchHeaders = {
  keys: (carrier: Headers) => {
    const names: string[] = [];
    carrier.forEach((_value, name) => {
      names.push(name);
    });
    return names;
  },
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
};

export function useOperationSpan(tracer: Tracer, contract: ContractCodes): Plugin {
  const contractCodes: ReadonlySet<string> = new Set(contract.codes);
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const operation = getOperationAST(args.document, args.operationName);
      const type = operation?.operation ?? 'unknown';
      const name = operation?.name?.value.slice(0, MAX_NAME_LENGTH);
      const gatewayContext = args.contextValue as
        | { requestId?: unknown; request?: { headers?: unknown } }
        | undefined;
      let parent = context.active();
      // Served without the node:http front door (yoga.fetch, a host's own server): the request's
      // own trace context is the parent.
      // Yoga's Request may be @whatwg-node's, whose Headers are not the global class.
      const headers = gatewayContext?.request?.headers as Headers | undefined;
      if (!trace.getSpan(parent) && typeof headers?.get === 'function') {
        parent = propagation.extract(parent, headers, fetchHeaders);
      }
      const span = tracer.startSpan(
        name ? `${type} ${name}` : type,
        {
          attributes: {
            'graphql.operation.type': type,
            ...(name ? { 'graphql.operation.name': name } : {}),
            ...(typeof gatewayContext?.requestId === 'string'
              ? { 'gateway.request_id': gatewayContext.requestId }
              : {}),
          },
        },
        parent,
      );
      const active = trace.setSpan(parent, span);
      setExecuteFn((executeArgs) => context.with(active, () => executeFn(executeArgs)));
      return {
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in (result as object)) {
            span.end();
            return;
          }
          const errors = (result as ExecutionResult).errors ?? [];
          const code = errors.length > 0 ? codeOf(errors[0]!, contractCodes) : 'OK';
          span.setAttribute('gateway.outcome', code);
          if (errors.length > 0) {
            span.setAttribute('error.type', code);
            span.setAttribute('graphql.errors.count', errors.length);
            span.setStatus({ code: SpanStatusCode.ERROR, message: code });
          }
          span.end();
        },
      };
    },
  };
}
