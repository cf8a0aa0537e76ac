import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The browser client's entry, as an app's bundler would start from it. */
export const CLIENT_ENTRY = fileURLToPath(new URL('../src/client/index.ts', import.meta.url));

export interface ClientBundle {
  /** The minified ES module. */
  code: string;
  bytes: number;
  gzipBytes: number;
  /** Every module esbuild put in the bundle, relative to the repository root. */
  inputs: string[];
}

/**
 * Bundles src/client for browsers, minified, the way an app would ship it. `platform: 'browser'`
 * makes any Node built-in an error, so a server-only import cannot slip into the client.
 */
export async function bundleClient(): Promise<ClientBundle> {
  const result = await build({
    entryPoints: [CLIENT_ENTRY],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.text;
  return {
    code,
    bytes: Buffer.byteLength(code),
    gzipBytes: gzipSync(code, { level: 9 }).length,
    inputs: Object.keys(result.metafile.inputs),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bundle = await bundleClient();
  const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;
  console.log(`client bundle (${bundle.inputs.length} modules): minified ${kb(bundle.bytes)}`);
  console.log(`client bundle gzip -9: ${kb(bundle.gzipBytes)} (${bundle.gzipBytes} bytes)`);
}
