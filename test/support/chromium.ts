import { existsSync } from 'node:fs';

/** Debian's Chromium (stack notes, trap 11); `CHROMIUM_PATH` names another. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

// A browser suite that skips in CI proves nothing: .ci/run installs Chromium, so its absence there
// is a failure.
if (!hasChromium && process.env.CI) {
  throw new Error(`CI=true but ${CHROMIUM} is missing: .ci/run should have installed Chromium.`);
}

/**
 * Headless Chromium in a container on a closed network (stack notes, trap 11): no sandbox, no GPU,
 * no background connections. Playwright adds --headless and a fresh --user-data-dir of its own.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
