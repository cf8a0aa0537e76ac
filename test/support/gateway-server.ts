import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type ExecutionResult, print } from 'graphql';
import { startGatewayServer } from '../../src/http/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { readConfig } from '../../src/settings.js';
import { postJson } from './requests.js';

/**
 * Starts the whole product in this process, listening for real on loopback, with its log lines
 * captured. `env` is what `npm start` would read.
 */
export async function startTestGateway(env: Record<string, string> = {}) {
  const lines: string[] = [];
  const config = readConfig({
    PORT: '0',
    SIMULATOR_PORT: '0',
    HOST: '127.0.0.1',
    SHUTDOWN_TIMEOUT_MS: '2000',
    // Production serves /metrics on a port of its own: a free one, as for every listener here.
    ...(env.NODE_ENV === 'production' ? { METRICS_PORT: '0' } : {}),
    ...env,
  });
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
  const running = await startGatewayServer(config, { logger });
  /** Sends a typed operation (from src/generated) over real HTTP. */
  const execute = async <R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V>,
    variables: V,
    headers: Record<string, string> = {},
  ) => {
    const response = await postJson(
      running.graphqlUrl,
      { query: print(document), variables },
      headers,
    );
    const body = (await response.json()) as ExecutionResult<R> & {
      errors?: Array<{ message: string; extensions: Record<string, unknown> }>;
    };
    return { response, body };
  };
  return { ...running, logs: lines, execute };
}
