/**
 * Where GraphQL is served, decided once. Yoga itself answers GraphQL on any URL that ends in the
 * endpoint (`/graphql/`, `//graphql`, `/x/graphql`), while every control compares the path to the
 * endpoint: a request on such a path would pass the controls and still run. So exactly one path
 * answers GraphQL, and the first request check (src/http/request-checks.ts) answers 404 to every
 * path that is neither the endpoint nor one of the gateway's own routes.
 */
export interface GraphQLRoute {
  /** The one path GraphQL is served at, e.g. `/graphql`. */
  readonly endpoint: string;
  /** Whether a URL path is the GraphQL endpoint (exactly; no trailing slash, no prefix). */
  isGraphQL(pathname: string): boolean;
  /** Whether a node:http request target (path and query) is the GraphQL endpoint. */
  isGraphQLTarget(target: string | undefined): boolean;
}

export function createGraphQLRoute(endpoint: string): GraphQLRoute {
  if (!endpoint.startsWith('/') || endpoint.length < 2 || endpoint.endsWith('/')) {
    throw new RangeError('graphqlEndpoint must be a path such as /graphql, without a trailing /');
  }
  return {
    endpoint,
    isGraphQL: (pathname) => pathname === endpoint,
    isGraphQLTarget(target) {
      if (target === undefined || !target.startsWith(endpoint)) return false;
      const rest = target.length === endpoint.length ? '' : target[endpoint.length];
      return rest === '' || rest === '?' || rest === '#';
    },
  };
}
