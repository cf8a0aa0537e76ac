import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  TracingConfigError,
  tracingSettings,
} from '../../../src/observability/tracing/from-env.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

describe('tracingSettings: on from the standard OTEL_* variables', () => {
  it('is off when no endpoint is set', () => {
    expect(tracingSettings({})).toBeUndefined();
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' })).toBe(
      undefined,
    );
  });

  it('is on with either endpoint, over http/protobuf unless told http/json', () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
      protocol: 'http/protobuf',
    });
    expect(
      tracingSettings({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector/v1/traces',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      }),
    ).toEqual({ protocol: 'http/json' });
    // The signal-specific protocol wins, as the specification says.
    expect(
      tracingSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      }),
    ).toEqual({ protocol: 'http/json' });
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({
      protocol: 'http/protobuf',
    });
  });

  it('stays off when the SDK is disabled or the exporter is none', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
  });

  it('refuses what it cannot do, naming the variable and not the value', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(() => tracingSettings({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL.*http\/protobuf.*http\/json/,
    );
    expect(() => tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(
      TracingConfigError,
    );
    const secretish = 'collector.internal:4318?token=abc123';
    expect(() => tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: secretish })).toThrow(
      /must be an http:\/\/ or https:\/\/ URL\.$/,
    );
    try {
      tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: secretish });
    } catch (error) {
      expect((error as Error).message).not.toContain('abc123');
    }
  });
});

/** `npm start` in a child process; the modules it imported, by URL. */
async function importsOfNpmStart(env: Record<string, string>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'imports-'));
  const log = join(dir, 'imports.log');
  try {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        './test/observability/tracing/fixtures/record-imports.mjs',
        'src/index.ts',
      ],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          PORT: '0',
          SIMULATOR_PORT: '0',
          IMPORT_LOG: log,
          ...env,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('GraphQL:')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
    return readFileSync(log, 'utf8').split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('npm start', () => {
  it('loads nothing of OpenTelemetry when no OTEL_* variable asks for tracing', async () => {
    const imports = await importsOfNpmStart({});
    expect(imports.some((url) => url.includes('/src/http/gateway.ts'))).toBe(true);
    expect(imports.filter((url) => url.includes('@opentelemetry'))).toEqual([]);
    expect(imports.filter((url) => url.includes('/src/observability/tracing/tracing.ts'))).toEqual(
      [],
    );
  }, 30_000);

  it('loads the SDK and the exporter of the protocol asked for when an endpoint is set', async () => {
    const imports = await importsOfNpmStart({
      // Nothing listens there: spans that cannot be exported are dropped, the gateway runs on.
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    const otel = imports.filter((url) => url.includes('@opentelemetry'));
    expect(otel.some((url) => url.includes('sdk-trace-node'))).toBe(true);
    expect(otel.some((url) => url.includes('exporter-trace-otlp-http'))).toBe(true);
    expect(otel.some((url) => url.includes('exporter-trace-otlp-proto'))).toBe(false);
  }, 30_000);

  it('refuses to start with a protocol it cannot export over, saying which variable', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        SIMULATOR_PORT: '0',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toMatch(/could not start: OTEL_EXPORTER_OTLP_PROTOCOL/);
  }, 30_000);
});
