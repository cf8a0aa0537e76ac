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
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ContractCodes } from './contract-codes.js';
import { type RequestSampling, startRecordedSpan, unrecordedContext } from './request-sampling.js';

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

export interface OperationSpanOptions {
  tracer: Tracer;
  contract: ContractCodes;
  /** The sampler's decision for an operation served without the server span. */
  sampling?: RequestSampling | undefined;
  /** node:http requests the server span decided not to record (`traceHttpRequests`). */
  unrecorded: WeakSet<object>;
}

export function useOperationSpan(options: OperationSpanOptions): Plugin {
  const { tracer, sampling, unrecorded } = options;
  const contractCodes: ReadonlySet<string> = new Set(options.contract.codes);
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const gatewayContext = args.contextValue as
        | { requestId?: unknown; req?: object; request?: { headers?: unknown } }
        | undefined;
      // The server span decided already: this request is not recorded, and runs outside any trace.
      if (gatewayContext?.req !== undefined && unrecorded.has(gatewayContext.req)) return;
      let parent = context.active();
      const active = trace.getSpan(parent);
      // Not recorded, inside the caller's trace (passed on to Circle as it is).
      if (active && !active.isRecording()) return;
      // Served without the node:http front door (yoga.fetch, a host's own server): the request's
      // own trace context is the parent.
      // Yoga's Request may be @whatwg-node's, whose Headers are not the global class.
      const headers = gatewayContext?.request?.headers as Headers | undefined;
      if (!active && typeof headers?.get === 'function') {
        parent = propagation.extract(parent, headers, fetchHeaders);
      }
      const operation = getOperationAST(args.document, args.operationName);
      const type = operation?.operation ?? 'unknown';
      const name = operation?.name?.value.slice(0, MAX_NAME_LENGTH);
      const span = startRecordedSpan(
        tracer,
        sampling,
        parent,
        name ? `${type} ${name}` : type,
        SpanKind.INTERNAL,
        () => ({
          'graphql.operation.type': type,
          ...(name ? { 'graphql.operation.name': name } : {}),
          ...(typeof gatewayContext?.requestId === 'string'
            ? { 'gateway.request_id': gatewayContext.requestId }
            : {}),
        }),
      );
      if (!span) {
        const passOn = unrecordedContext(parent);
        if (passOn)
          setExecuteFn((executeArgs) => context.with(passOn, () => executeFn(executeArgs)));
        return;
      }
      const inside = trace.setSpan(parent, span);
      setExecuteFn((executeArgs) => context.with(inside, () => executeFn(executeArgs)));
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
