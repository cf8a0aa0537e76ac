import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM } from './requires.js';

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

/** Launches headless Chromium with the flags above. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}
