/**
 * refreshUserToken inside a host's own Yoga server and Pothos schema (docs/embedding.md).
 * Run it: `npx tsx examples/embed-in-host.ts`; without CIRCLE_API_KEY it talks to the embedded
 * Circle simulator.
 */
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import SchemaBuilder from '@pothos/core';
import {
  addRefreshUserToken,
  type CircleClient,
  createCircleClient,
  SIMULATOR_API_KEY,
  useRefreshUserToken,
} from 'circle-wallets-graphql-gateway';
import { startCircleSimulator } from 'circle-wallets-graphql-gateway/simulator';
import { createYoga } from 'graphql-yoga';

/** The host's own context. */
interface Context {
  userId: string | null;
}

// Who is calling: here a header, in a real host its session.
const sessionUserOf = (request: Request) => request.headers.get('x-session-user');

export function createHostYoga(client: CircleClient) {
  const builder = new SchemaBuilder<{ Context: Context }>({});
  builder.queryType({
    fields: (t) => ({
      me: t.string({ nullable: true, resolve: (_root, _args, context) => context.userId }),
    }),
  });
  builder.mutationType({}); // refreshUserToken goes on the host's Mutation root
  addRefreshUserToken(builder);

  return createYoga<Record<string, unknown>, Context>({
    schema: builder.toSchema(),
    context: ({ request }) => ({ userId: sessionUserOf(request) }),
    plugins: [
      useRefreshUserToken({
        client,
        // Only the user the session names may refresh by userId.
        authorizeUserId: ({ request, userId }) => sessionUserOf(request) === userId,
      }),
    ],
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const apiKey = process.env.CIRCLE_API_KEY;
  const simulator = apiKey ? undefined : await startCircleSimulator();
  // The Circle client holds the API key; callers never see it.
  const client = createCircleClient({
    apiKey: apiKey ?? SIMULATOR_API_KEY,
    baseUrl: simulator?.url ?? 'https://api.circle.com',
  });
  createServer(createHostYoga(client)).listen(4000, '127.0.0.1', () => {
    process.stdout.write('Host GraphQL server: http://127.0.0.1:4000/graphql\n');
  });
}
