import type { CircleClientError } from '../../circle/errors.js';

/**
 * What tracing records as an outcome: the contract's codes. They are the schema's (its code list and
 * its one translation of upstream errors, src/schema/errors.ts); the composition root
 * (src/tracing.ts) hands them in, so that observability needs nothing from the schema.
 */
export interface ContractCodes {
  /** Every `extensions.code` a client can see. */
  readonly codes: readonly string[];
  /** The code a client would see for this failure of a Circle call. */
  codeOf(error: CircleClientError): string;
}
