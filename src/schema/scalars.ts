/// <reference types="@pothos/core" preserve="true" />
import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { validate as isUuid } from 'uuid';
import type { GatewayBuilder } from './builder.js';

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const badInput = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

function parseUuid(value: unknown): string {
  if (typeof value !== 'string' || !CANONICAL_UUID.test(value) || !isUuid(value)) {
    throw badInput('UUID must be an RFC 9562 UUID in its canonical 36-character form.');
  }
  return value;
}

function addUuid(builder: GatewayBuilder) {
  return builder.scalarType('UUID', {
    description: 'RFC 9562 UUID in its canonical 36-character string form.',
    serialize: (value) => parseUuid(value),
    parseValue: parseUuid,
    parseLiteral: (node: ValueNode) => {
      if (node.kind !== Kind.STRING) throw badInput('UUID must be a string.');
      return parseUuid(node.value);
    },
  });
}

// RFC 3339 with a mandatory offset; the output is always UTC with no fraction.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !RFC3339.test(value)) {
    throw badInput('DateTime must be an RFC 3339 date-time such as 2026-11-27T20:00:00Z.');
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badInput('DateTime is not a real date.');
  return date;
}

function addDateTime(builder: GatewayBuilder) {
  return builder.scalarType('DateTime', {
    description: 'RFC 3339 date-time in UTC, e.g. 2026-11-27T20:00:00Z.',
    serialize: (value) => {
      const date = value instanceof Date ? value : new Date(value as string | number);
      if (Number.isNaN(date.getTime()))
        throw new TypeError('DateTime cannot represent an invalid date');
      return `${date.toISOString().slice(0, 19)}Z`;
    },
    parseValue: parseDateTime,
    parseLiteral: (node: ValueNode) => {
      if (node.kind !== Kind.STRING) throw badInput('DateTime must be a string.');
      return parseDateTime(node.value);
    },
  });
}

/** The two scalars of the gateway's schema, registered on `builder`. */
export function addScalars(builder: GatewayBuilder) {
  return { UUID: addUuid(builder), DateTime: addDateTime(builder) };
}

export type GatewayScalars = ReturnType<typeof addScalars>;
