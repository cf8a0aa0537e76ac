/**
 * A platform team's code against the installed package: every entry, typed options under
 * `exactOptionalPropertyTypes`, compiled by tsc (`nodenext`) and then run with plain `node`.
 * test/package/installed-package.integration.test.ts copies it into an empty project; it prints one JSON line.
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
import { GatewayError, refreshUserToken } from 'circle-wallets-graphql-gateway/client';
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
// The browser client's typed call, over the gateway's in-process fetch.
const viaGateway: typeof fetch = async (input, init) =>
  gateway.yoga.fetch(input instanceof Request ? input.url : String(input), init ?? {});
const payload = await refreshUserToken(
  {
    user: { userToken: session.userToken },
    deviceId: session.deviceId,
    refreshToken: session.refreshToken,
  },
  { url: 'http://consumer.test/graphql', fetch: viaGateway },
);
// The same refresh token again: Circle refuses a spent one, and the client says so in a typed error.
let spentCode: GatewayErrorCode | string | undefined;
try {
  await refreshUserToken(
    {
      user: { userToken: session.userToken },
      deviceId: session.deviceId,
      refreshToken: session.refreshToken,
    },
    { url: 'http://consumer.test/graphql', fetch: viaGateway },
  );
} catch (error) {
  if (error instanceof GatewayError) spentCode = error.code;
}
await client.close();
await simulator.close();

process.stdout.write(
  `${JSON.stringify({
    version: VERSION,
    refreshedUserId: payload.userId ?? null,
    spentCode,
    expectedUserId: session.userId,
    subgraph: config.subgraph,
    sdlDeclaresOneOf: subgraphSdl.includes('directive @oneOf on INPUT_OBJECT'),
    isCircleClientError: isCircleClientError(new Error('not one')),
  })}\n`,
);
