/** Where the standalone simulator listens. */
export interface SimulatorSettings {
  /** From SIMULATOR_HOST. @default '127.0.0.1' */
  host: string;
  /** From SIMULATOR_PORT. @default 4010 */
  port: number;
}

export const DEFAULT_SIMULATOR_SETTINGS: SimulatorSettings = { host: '127.0.0.1', port: 4010 };

/**
 * Reads the standalone simulator's settings from an environment-like object, reporting every
 * problem in one Error so a misconfigured start fails once, not once per variable.
 */
export function readSimulatorSettings(
  env: Readonly<Record<string, string | undefined>>,
): SimulatorSettings {
  const problems: string[] = [];

  const rawHost = env.SIMULATOR_HOST;
  let host = DEFAULT_SIMULATOR_SETTINGS.host;
  if (rawHost !== undefined && rawHost !== '') {
    if (/\s/.test(rawHost)) {
      problems.push(
        `SIMULATOR_HOST must be a host name or IP address without spaces (got "${rawHost}").`,
      );
    } else {
      host = rawHost;
    }
  }

  const rawPort = env.SIMULATOR_PORT;
  let port = DEFAULT_SIMULATOR_SETTINGS.port;
  if (rawPort !== undefined && rawPort !== '') {
    const parsed = /^\d+$/.test(rawPort.trim()) ? Number(rawPort.trim()) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed > 65_535) {
      problems.push(`SIMULATOR_PORT must be an integer from 0 to 65535 (got "${rawPort}").`);
    } else {
      port = parsed;
    }
  }

  if (problems.length > 0) {
    throw new Error(`Invalid simulator settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return { host, port };
}
