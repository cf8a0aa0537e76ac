/**
 * The gateway's tracing as the package offers it: observability's, given the contract's codes by
 * the composition root (observability knows no schema) and, for `startTracing()`, the process's
 * environment (only the root reads it). Nothing of OpenTelemetry is loaded until one is called.
 */
import type { ContractCodes } from './observability/tracing/contract-codes.js';
import { loadTracingWith, startTracingFrom } from './observability/tracing/from-env.js';
import type { Tracing, TracingOptions } from './observability/tracing/tracing.js';
import { GATEWAY_ERROR_CODES, toGraphQLError } from './schema/errors.js';

/** The codes spans record: the contract's list and its one translation of upstream errors. */
export const TRACING_CONTRACT: ContractCodes = {
  codes: GATEWAY_ERROR_CODES,
  codeOf: (error) =>
    String((toGraphQLError(error) as { extensions: { code?: unknown } }).extensions.code),
};

/**
 * Starts tracing from the standard OTEL_* environment when it asks for it (docs/tracing.md);
 * resolves to undefined when tracing is off.
 */
export const startTracing = (): Promise<Tracing | undefined> =>
  startTracingFrom(process.env, TRACING_CONTRACT);

/**
 * Tracing through a tracer provider of your own, loaded on demand so that importing the package
 * loads nothing of OpenTelemetry.
 */
export const loadTracing = (options: TracingOptions = {}): Promise<Tracing> =>
  loadTracingWith(options, TRACING_CONTRACT);
