/** Debian's Chromium (stack notes, trap 11); `CHROMIUM_PATH` names another. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium in a container on a closed network (stack notes, trap 11): no sandbox, no GPU,
 * no background connections. Playwright adds --headless and a fresh --user-data-dir of its own.
 * A suite that launches it first calls `requires('chromium')` (./requires.ts).
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
