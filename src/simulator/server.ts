import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CircleSimulator, createCircleSimulator, type SimulatorOptions } from './simulator.js';

export interface StartSimulatorOptions extends SimulatorOptions {
  /**
   * Port to listen on; 0 picks a free one.
   * @default 0
   */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

export interface RunningSimulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  host: string;
  simulator: CircleSimulator;
  /** Stops listening and ends every connection, hung or idle; resolves once the server is closed. */
  close(): Promise<void>;
}

/** Starts the simulator on a real loopback socket, for tests where the transport matters. */
export async function startCircleSimulator(
  options: StartSimulatorOptions = {},
): Promise<RunningSimulator> {
  const { port = 0, host = '127.0.0.1', ...simulatorOptions } = options;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`port must be an integer from 0 to 65535 (got ${port}).`);
  }
  const simulator = createCircleSimulator(simulatorOptions);
  const server = createServer(simulator.handle);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.address.includes(':') ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    host: address.address,
    simulator,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // A test double has nothing worth draining: promptness beats letting in-flight calls
        // finish. Held responses go first so their timers die with them.
        simulator.abortPending();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
