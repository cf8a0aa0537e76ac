import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import './gateway-info.js';
import './user-token-payload.js';

/** The gateway's schema, types sorted so the printed SDL is stable. */
export const schema = lexicographicSortSchema(builder.toSchema());
