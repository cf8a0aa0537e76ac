/**
 * The gateway's schema as an Apollo Federation v2 subgraph (the `…/subgraph` package entry).
 */
import type { GraphQLSchema } from 'graphql';
import { getSubgraph } from './federation/subgraph-builder.js';

export { FEDERATION_LINK_URL, withOneOfDirectives } from './federation/subgraph-builder.js';

const built = getSubgraph();

/** The subgraph schema: serve it with `createGateway({ ..., subgraph: true })`. */
export const subgraphSchema: GraphQLSchema = built.schema;

/** What `_service { sdl }` answers: the subgraph SDL with `@link` and `@oneOf`. */
export const subgraphSdl: string = built.sdl;
