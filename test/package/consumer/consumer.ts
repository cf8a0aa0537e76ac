/**
 * A platform team's code against the installed package: every entry, typed options under
 * `exactOptionalPropertyTypes`, compiled by tsc (`nodenext`) and then run with plain `node`.
 * test/package/installed-package.test.ts copies it into an empty project; it prints one JSON line.
 */
import {
  type Config,
  createCircleClient,
  createGateway,
  createLogger,
  type GatewayErrorCode,
  type GatewayOptions,
  isCircleClientError,
  readConfig,
  SIMULATOR_API_KEY,
  VERSION,
} from 'circle-wallets-graphql-gateway';
import {
  type RunningSimulator,
  startCircleSimulator,
} from 'circle-wallets-graphql-gateway/simulator';
import { subgraphSdl } from 'circle-wallets-graphql-gateway/subgraph';

const simulator: RunningSimulator = await startCircleSimulator();
const client = createCircleClient({ apiKey: SIMULATOR_API_KEY, baseUrl: simulator.url });
const options: GatewayOptions = {
  client,
  logger: createLogger({ level: 'silent' }),
  simulated: true,
  graphiql: false,
};
const gateway = createGateway(options);
const config: Config = readConfig({ SUBGRAPH: 'true' });

const session = simulator.simulator.createSession();
const response = await gateway.yoga.fetch('http://consumer.test/graphql', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    query:
      'mutation($input: RefreshUserTokenInput!) { refreshUserToken(input: $input) { userId } }',
    variables: {
      input: {
        user: { userToken: session.userToken },
        deviceId: session.deviceId,
        refreshToken: session.refreshToken,
      },
    },
  }),
});
const body = (await response.json()) as {
  data?: { refreshUserToken: { userId: string } };
  errors?: Array<{ extensions?: { code?: GatewayErrorCode } }>;
};
await client.close();
await simulator.close();

process.stdout.write(
  `${JSON.stringify({
    version: VERSION,
    refreshedUserId: body.data?.refreshUserToken.userId ?? null,
    expectedUserId: session.userId,
    subgraph: config.subgraph,
    sdlDeclaresOneOf: subgraphSdl.includes('directive @oneOf on INPUT_OBJECT'),
    isCircleClientError: isCircleClientError(new Error('not one')),
  })}\n`,
);
