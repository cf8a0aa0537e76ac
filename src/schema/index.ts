/// <reference types="@pothos/core" preserve="true" />
import { lexicographicSortSchema } from 'graphql';
import { createGatewayBuilder } from './builder.js';
import { addGatewayInfo } from './gateway-info.js';
import { addRefreshUserToken } from './refresh-user-token.js';

/** The gateway's builder with every type on it (the subgraph schema is built from it too). */
export const builder = createGatewayBuilder();
addRefreshUserToken(builder);
addGatewayInfo(builder);

/** The gateway's schema, types sorted so the printed SDL is stable. */
export const schema = lexicographicSortSchema(builder.toSchema());
