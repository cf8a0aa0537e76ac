/**
 * Builds the gateway's schema as an Apollo Federation v2 subgraph: the same types and resolvers,
 * plus `_service { sdl }` and the `@link` to the federation spec. Built on first use only: a
 * gateway that does not serve it (the default) does not pay for it at start.
 */
import {
  type DefinitionNode,
  type DirectiveDefinitionNode,
  type DocumentNode,
  type GraphQLSchema,
  isInputObjectType,
  Kind,
  parse,
  print,
} from 'graphql';
import { builder } from '../schema/index.js';

/** The federation spec the subgraph links to (the newest that @apollo/subgraph 2.14 knows). */
export const FEDERATION_LINK_URL = 'https://specs.apollo.dev/federation/v2.6';

/** `directive @oneOf on INPUT_OBJECT`, as the GraphQL spec defines it. */
const ONE_OF_DEFINITION: DirectiveDefinitionNode = {
  kind: Kind.DIRECTIVE_DEFINITION,
  name: { kind: Kind.NAME, value: 'oneOf' },
  arguments: [],
  repeatable: false,
  locations: [{ kind: Kind.NAME, value: 'INPUT_OBJECT' }],
};

/**
 * Federation directives imported by the `@link`. None is used yet (the schema has no entity);
 * importing them lets a supergraph operator tag or hide fields without a new link.
 */
const FEDERATION_DIRECTIVES = ['@key', '@shareable', '@inaccessible', '@tag'];

/**
 * Adds `@oneOf` back to every input type whose `isOneOf` is true, and declares the directive.
 * `@apollo/subgraph`'s printer drops it; without it a composed supergraph would accept both (or
 * neither) userId and userToken and only this subgraph would notice, after the gateway had planned
 * the call. The declaration is for Apollo's composition, which knows no `@oneOf` of its own and
 * rejects the SDL without it ("Unknown directive"); the Guild's accepts either form.
 */
export function withOneOfDirectives(sdl: string, schema: GraphQLSchema): string {
  const document = parse(sdl);
  const oneOf = new Set(
    Object.values(schema.getTypeMap())
      .filter((type) => isInputObjectType(type) && type.isOneOf)
      .map((type) => type.name),
  );
  const definitions: DefinitionNode[] = document.definitions.map((definition) => {
    if (
      definition.kind !== Kind.INPUT_OBJECT_TYPE_DEFINITION ||
      !oneOf.has(definition.name.value) ||
      definition.directives?.some((directive) => directive.name.value === 'oneOf')
    ) {
      return definition;
    }
    return {
      ...definition,
      directives: [
        ...(definition.directives ?? []),
        { kind: Kind.DIRECTIVE, name: { kind: Kind.NAME, value: 'oneOf' }, arguments: [] },
      ],
    };
  });
  const declared = document.definitions.some(
    (definition) =>
      definition.kind === Kind.DIRECTIVE_DEFINITION && definition.name.value === 'oneOf',
  );
  if (oneOf.size > 0 && !declared) definitions.unshift(ONE_OF_DEFINITION);
  return print({ ...document, definitions } as DocumentNode);
}

function buildSubgraph(): { schema: GraphQLSchema; sdl: string } {
  const schema = builder.toSubGraphSchema({
    linkUrl: FEDERATION_LINK_URL,
    federationDirectives: FEDERATION_DIRECTIVES,
  });
  const service = schema.getQueryType()?.getFields()._service;
  if (!service?.resolve) throw new Error('the federation plugin built no Query._service field');
  const printed = (service.resolve(undefined, {}, undefined, undefined as never) as { sdl: string })
    .sdl;
  const sdl = withOneOfDirectives(printed, schema);
  // This schema instance is ours alone: pointing its resolver at the corrected SDL is simpler
  // than rebuilding the Query type around it.
  service.resolve = () => ({ sdl });
  return { schema, sdl };
}

let built: { schema: GraphQLSchema; sdl: string } | undefined;

/** The subgraph schema and the SDL `_service { sdl }` answers, built once, on first call. */
export function getSubgraph(): { schema: GraphQLSchema; sdl: string } {
  built ??= buildSubgraph();
  return built;
}
