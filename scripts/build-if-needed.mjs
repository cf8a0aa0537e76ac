/**
 * `npm start` runs the compiled gateway (dist/), the very code a production install runs, so there
 * is one runtime to trust and no TypeScript loader in the process. In a clone with the dev tools
 * installed this compiles first (incrementally: a second or two when nothing changed). Where
 * there is no compiler (`npm ci --omit=dev`, or the installed package, which ships no sources)
 * dist/ was built before (`npm run build`, or `prepack`), so there is nothing to do.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // A production install: no compiler.
}

if (tsc && existsSync(`${root}src/index.ts`)) {
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exit(build.status ?? 1);
}
if (!existsSync(`${root}dist/index.js`)) {
  process.stderr.write(
    'dist/ is not built and TypeScript is not installed: run `npm ci && npm run build` first.\n',
  );
  process.exit(1);
}
