/**
 * The HTTP server's and process's settings: where it listens, the simulator beside it, client
 * deadlines, connections, shutdown, workers, and which GraphQL features it serves.
 */

import { boolean, integer, setting, text, toggle, type ValuesOf } from '../config/setting.js';
import { DEFAULT_MUTATION_DEADLINE_MS } from '../refresh/refresh-context.js';
import { DEFAULT_SIMULATOR_SETTINGS } from '../simulator/settings.js';

export const SERVER_SETTINGS = [
  setting({
    key: 'host',
    env: 'HOST',
    default: '127.0.0.1',
    description: 'Address the gateway listens on (0.0.0.0 in a container).',
    parse: text,
  }),
  setting({
    key: 'port',
    env: 'PORT',
    default: 4000,
    description: 'Port the gateway listens on.',
    parse: integer(0, 65535),
  }),
  setting({
    key: 'simulatorHost',
    env: 'SIMULATOR_HOST',
    default: DEFAULT_SIMULATOR_SETTINGS.host,
    description: 'Address of the embedded simulator (only without CIRCLE_API_KEY).',
    parse: text,
  }),
  setting({
    key: 'simulatorPort',
    env: 'SIMULATOR_PORT',
    default: DEFAULT_SIMULATOR_SETTINGS.port,
    description: 'Port of the embedded simulator (only without CIRCLE_API_KEY).',
    parse: integer(0, 65535),
  }),
  setting({
    key: 'mutationDeadlineMs',
    env: 'MUTATION_DEADLINE_MS',
    default: DEFAULT_MUTATION_DEADLINE_MS,
    description: "Overall deadline of one mutation's upstream work, retries included.",
    parse: integer(1, 600_000),
  }),
  setting({
    key: 'shutdownTimeoutMs',
    env: 'SHUTDOWN_TIMEOUT_MS',
    default: 15_000,
    description: 'On SIGTERM/SIGINT, longest wait for in-flight requests before exiting.',
    parse: integer(0, 600_000),
  }),
  setting({
    key: 'shutdownDelayMs',
    env: 'SHUTDOWN_DELAY_MS',
    default: 0,
    description:
      'On SIGTERM, answer GET /ready with 503 but keep serving this long before draining, so load balancers stop sending first.',
    parse: integer(0, 600_000),
  }),
  setting({
    key: 'headersTimeoutMs',
    env: 'HEADERS_TIMEOUT_MS',
    default: 10_000,
    description: 'Longest a client may take to send its request headers (408 and close after).',
    parse: integer(1_000, 600_000),
  }),
  setting({
    key: 'requestTimeoutMs',
    env: 'REQUEST_TIMEOUT_MS',
    default: 30_000,
    description: 'Longest a client may take to send its whole request, body included.',
    parse: integer(1_000, 3_600_000),
  }),
  setting({
    key: 'maxConnections',
    env: 'MAX_CONNECTIONS',
    default: 1_000,
    description: 'Open client sockets per process at most (0 = no cap); more are closed at once.',
    parse: integer(0, 1_000_000),
  }),
  setting({
    key: 'workers',
    env: 'WORKERS',
    default: 1,
    description:
      'Processes serving the port (node:cluster); each keeps its own caches, limits and circuit. Needs CIRCLE_API_KEY when > 1.',
    parse: integer(1, 64),
  }),
  setting({
    key: 'graphiql',
    env: 'GRAPHIQL',
    default: 'auto',
    description:
      'GraphiQL at GET /graphql: true, false, or auto (on in development, off in production).',
    parse: toggle,
  }),
  setting({
    key: 'fastPath',
    env: 'FAST_PATH',
    default: true,
    description:
      'Serve JSON POSTs of documents already validated without Yoga (same checks, same answers, less CPU): true or false.',
    parse: boolean,
  }),
  setting({
    key: 'subgraph',
    env: 'SUBGRAPH',
    default: false,
    description:
      'Serve the schema as an Apollo Federation v2 subgraph (`_service { sdl }`, `@link`, `@oneOf` declared): true or false.',
    parse: boolean,
  }),
] as const;

/** How long a client may take, and how many may be connected (src/http/connection-controls.ts). */
export const connectionLimitsFromConfig = (config: ValuesOf<typeof SERVER_SETTINGS>) => ({
  headersTimeoutMs: config.headersTimeoutMs,
  requestTimeoutMs: config.requestTimeoutMs,
  maxConnections: config.maxConnections,
  keepAliveTimeoutMs: 5_000,
});

/** What no single setting can check (values missing were refused already). */
export function checkServerSettings(
  values: Partial<ValuesOf<typeof SERVER_SETTINGS>>,
  apiKey: string | undefined,
  problems: string[],
): void {
  const { headersTimeoutMs, requestTimeoutMs, workers } = values;
  if (
    headersTimeoutMs !== undefined &&
    requestTimeoutMs !== undefined &&
    requestTimeoutMs < headersTimeoutMs
  ) {
    problems.push('REQUEST_TIMEOUT_MS must be >= HEADERS_TIMEOUT_MS (the headers are part of it)');
  }
  if (workers !== undefined && workers > 1 && apiKey === undefined) {
    problems.push(
      'WORKERS > 1 needs CIRCLE_API_KEY: the embedded simulator keeps its sessions in one process',
    );
  }
}
