import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GatewayRequestError,
  type RefreshVariables,
  refreshUserToken,
} from '../../examples/typed-client.js';
import { startTestGateway } from '../support/gateway-server.js';
import { refreshInput, refreshInputByUserId } from '../support/session.js';

describe('examples/typed-client.ts against the gateway on its simulator', () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;

  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('refreshes with typed variables and gets a typed payload', async () => {
    const session = gateway.simulator!.simulator.createSession();
    const input: RefreshVariables['input'] = refreshInput(session);
    const payload = await refreshUserToken(gateway.graphqlUrl, input);
    expect(payload.userId).toBe(session.userId);
    expect(payload.userToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(payload.refreshToken).not.toBe(session.refreshToken);

    // The refresh token rotated: using the old one again is a typed error.
    const error = await refreshUserToken(gateway.graphqlUrl, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayRequestError);
    expect((error as GatewayRequestError).code).toBe('REFRESH_REJECTED');
  });

  it('refreshes by userId as well', async () => {
    const session = gateway.simulator!.simulator.createSession();
    const payload = await refreshUserToken(gateway.graphqlUrl, refreshInputByUserId(session));
    expect(payload.userId).toBe(session.userId);
  });
});

describe('the generated input types (checked by tsc in npm run typecheck)', () => {
  const file = fileURLToPath(new URL('./oneof-input.typecheck.ts', import.meta.url));
  // The same file without its @ts-expect-error comments, type-checked beside it (never written).
  const stripped = file.replace(/\.typecheck\.ts$/, '.stripped.ts');

  /** Type-checks the given sources (path to text) with the project's compiler options. */
  function diagnosticsOf(sources: Record<string, string>) {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const { config } = ts.readConfigFile(`${root}tsconfig.json`, ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
    const host = ts.createCompilerHost(options);
    const { getSourceFile, fileExists } = host;
    host.fileExists = (name) => name in sources || fileExists.call(host, name);
    host.getSourceFile = (name, languageVersion, ...rest) => {
      const text = sources[name];
      return text === undefined
        ? getSourceFile.call(host, name, languageVersion, ...rest)
        : ts.createSourceFile(name, text, languageVersion);
    };
    const program = ts.createProgram({
      rootNames: Object.keys(sources),
      options: { ...options, noEmit: true },
      host,
    });
    return (name: string) =>
      ts.getPreEmitDiagnostics(program, program.getSourceFile(name)).map((d) => ({
        line: d.file ? d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1 : 0,
        text: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
      }));
  }

  it('accepts the file as written, and each @ts-expect-error line is a real type error', () => {
    const source = readFileSync(file, 'utf8');
    const lines = source.split('\n');
    const isExpectation = (line: string) => line.startsWith('// @ts-expect-error');
    const expected = lines.flatMap((line, index) => (isExpectation(line) ? [index + 2] : []));
    expect(expected.length).toBeGreaterThanOrEqual(3);

    const diagnostics = diagnosticsOf({
      [file]: source,
      [stripped]: lines.map((line) => (isExpectation(line) ? '' : line)).join('\n'),
    });
    expect(diagnostics(file)).toEqual([]);
    const errors = diagnostics(stripped);
    expect([...new Set(errors.map((d) => d.line))]).toEqual(expected);
    expect(errors.find((d) => d.line === expected[0])?.text).toMatch(/UserIdentityInput/);
  }, 60_000);
});
