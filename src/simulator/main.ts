/**
 * `npm run simulator`: the Circle simulator on its own, for a gateway or curl in another process.
 * The only file of the simulator that reads process.env.
 */
import { startCircleSimulator } from './server.js';
import { readSimulatorSettings } from './settings.js';

async function main(): Promise<void> {
  let settings: ReturnType<typeof readSimulatorSettings>;
  try {
    settings = readSimulatorSettings(process.env);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
    return;
  }

  const running = await startCircleSimulator(settings);
  console.log(`Circle simulator listening on ${running.url}`);
  console.log(`  Circle API:  POST ${running.url}/v1/w3s/users/token/refresh (and /users/token)`);
  console.log('  Create a session (user, device, user token, refresh token):');
  console.log(`    curl -s -X POST ${running.url}/simulator/sessions`);
  console.log(`  Health:      GET ${running.url}/simulator/health`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received, stopping the simulator.`);
    running.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        console.error('The simulator did not close cleanly:', error);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('The simulator failed to start:', error);
  process.exitCode = 1;
});
