import { createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { negotiateMediaType } from '../../src/http/accept.js';
import { schema } from '../../src/schema/index.js';
import { postJson } from '../support/requests.js';

/**
 * The gateway decides Accept before execution (a refresh must not run when its answer cannot be
 * sent). The decision must be Yoga's own, which Yoga makes only after execution: a plain Yoga over
 * the same schema answers a harmless query for each Accept, and the pre-check must agree on
 * whether it is 406 and on the media type of the answer.
 */
const yoga = createYoga({ schema, landingPage: false, logging: false });

const types = [
  'application/json',
  'application/graphql-response+json',
  'Application/JSON',
  'application/*',
  '*/*',
  '*/json',
  'text/*',
  'text/html',
  'text/plain',
  'text/event-stream',
  'multipart/mixed',
  'application/xml',
  'image/png',
  '',
];
const params = [
  '',
  ';charset=utf-8',
  '; charset=UTF-8',
  ';charset=iso-8859-1',
  '; charset=utf-16',
  ';q=0',
  ';q=0.5',
  ';q=0.9;charset=latin1',
];
const matrix = new Set<string>([
  '',
  ' ',
  ',',
  'application/json, text/plain, */*',
  'application/graphql-response+json, application/json;q=0.9',
  'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'application/json;charset=iso-8859-1, text/event-stream',
  'application/json;charset=iso-8859-1, text/html',
  'text/html, application/graphql-response+json; charset=utf-16',
  'multipart/mixed, application/json',
]);
for (const type of types) for (const param of params) matrix.add(`${type}${param}`);

describe("the Accept pre-check is Yoga's negotiation", () => {
  it(`agrees with Yoga on ${matrix.size} Accept values`, async () => {
    const disagreements: string[] = [];
    for (const accept of matrix) {
      const response = await postJson(
        'http://localhost/graphql',
        { query: '{ __typename }' },
        { accept },
        { fetch: yoga.fetch },
      );
      await response.arrayBuffer();
      const chosen = negotiateMediaType(accept);
      const yogas =
        response.status === 406
          ? undefined
          : (response.headers.get('content-type') ?? '').split(';')[0];
      if (chosen !== yogas) disagreements.push(`${JSON.stringify(accept)}: ${chosen} vs ${yogas}`);
    }
    expect(disagreements).toEqual([]);
  });
});
