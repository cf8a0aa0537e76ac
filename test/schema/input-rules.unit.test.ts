import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  checkRefreshInput,
  INPUT_LIMITS,
  type RawRefreshInput,
} from '../../src/schema/input-rules.js';
import { jwtLike } from '../support/jwt.js';

// Circle's user tokens are JWTs; the rules refuse anything else (USER_TOKEN_INVALID).
const USER_TOKEN = jwtLike({ sub: 'user-1' });
/** A JWT-shaped token exactly `length` characters long (its signature is padded). */
const jwtOfLength = (length: number) =>
  `${USER_TOKEN.slice(0, USER_TOKEN.lastIndexOf('.') + 1)}`.padEnd(length, 'a');

const valid: RawRefreshInput = {
  user: { userToken: USER_TOKEN },
  deviceId: 'device-1',
  refreshToken: 'refresh-token',
};

const problem = (raw: RawRefreshInput) => {
  const result = checkRefreshInput(raw);
  expect(result).toBeInstanceOf(GraphQLError);
  const error = result as GraphQLError;
  expect(error.extensions.code).toBe('BAD_USER_INPUT');
  return { field: error.extensions.field, message: error.message };
};

describe('checkRefreshInput', () => {
  it('passes a userToken input through, with no idempotency key when none was given', () => {
    expect(checkRefreshInput({ ...valid, idempotencyKey: null })).toEqual({
      user: { userToken: USER_TOKEN },
      deviceId: 'device-1',
      refreshToken: 'refresh-token',
      idempotencyKey: undefined,
    });
  });

  it('reads a numeric userId as a string', () => {
    expect(checkRefreshInput({ ...valid, user: { userId: 1234567 } })).toMatchObject({
      user: { userId: '1234567' },
    });
  });

  it.each([
    ['both', { userId: 'user-1', userToken: 'token' }],
    ['neither', {}],
    ['both null', { userId: null, userToken: null }],
  ])('rejects %s of userId and userToken on input.user', (_case, user) => {
    expect(problem({ ...valid, user }).field).toBe('input.user');
  });

  it.each([
    ['userId', { min: 5, max: 50 }],
    ['userToken', { min: 1, max: 4096 }],
    ['deviceId', { min: 1, max: 256 }],
    ['refreshToken', { min: 1, max: 2048 }],
  ] as const)('bounds %s to %j characters', (name, limits) => {
    expect(INPUT_LIMITS[name]).toEqual(limits);
    const build = (value: string): RawRefreshInput =>
      name === 'userId' || name === 'userToken'
        ? { ...valid, user: { [name]: value } }
        : { ...valid, [name]: value };
    const field =
      name === 'userId' || name === 'userToken' ? `input.user.${name}` : `input.${name}`;

    // A user token must also be a JWT, whose shortest form is longer than the minimum.
    const fits = (length: number) =>
      name === 'userToken' ? jwtOfLength(Math.max(length, USER_TOKEN.length)) : 'a'.repeat(length);
    expect(checkRefreshInput(build(fits(limits.max)))).not.toBeInstanceOf(GraphQLError);
    expect(checkRefreshInput(build(fits(Math.max(limits.min, 1))))).not.toBeInstanceOf(
      GraphQLError,
    );
    expect(problem(build('a'.repeat(limits.max + 1)))).toEqual({
      field,
      message: `${field} must be ${limits.min} to ${limits.max} characters long (got ${limits.max + 1}).`,
    });
    if (limits.min > 1) expect(problem(build('a'.repeat(limits.min - 1))).field).toBe(field);
    expect(problem(build(''))).toEqual({ field, message: `${field} must not be empty.` });
    expect(problem(build(' \t '.repeat(2))).field).toBe(field);
    expect(problem(build('abc\u0000def')).message).toBe(
      `${field} must not contain control characters.`,
    );
    expect(problem(build('abcde\nfgh')).field).toBe(field);
    expect(problem(build('abcde\u007f')).field).toBe(field);
  });

  it.each([
    ['non-ASCII', 'tökén-value'],
    ['a space inside', 'token value'],
  ])('rejects a userToken with %s, which cannot travel in a header', (_case, token) => {
    expect(problem({ ...valid, user: { userToken: token } })).toEqual({
      field: 'input.user.userToken',
      message: 'input.user.userToken must be printable ASCII.',
    });
  });

  it('accepts a non-ASCII deviceId, which travels in the JSON body', () => {
    expect(checkRefreshInput({ ...valid, deviceId: 'appareil-é' })).not.toBeInstanceOf(
      GraphQLError,
    );
  });
});
