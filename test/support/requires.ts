/**
 * What a suite needs from the machine that npm does not install: Chromium, `redis-server`, and
 * the team's shared folder beside the clone (the public contract). In CI (`CI` set) .ci/run
 * provides all three, so a missing one fails the suite with what is missing and how to get it:
 * a suite skipped there would prove nothing. Elsewhere the suite is skipped, and its title says
 * why, so the skip shows in the output instead of passing silently.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it, type TestFunction } from 'vitest';

/** Debian's Chromium (stack notes, trap 11); `CHROMIUM_PATH` names another. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const onPath = (command: string) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

/** The public contract, in the shared folder beside the clone (CI lays it there too). */
export const CONTRACT = new URL('../../../shared/docs/contract.md', import.meta.url);

const NEEDS = {
  chromium: () => ({
    found: existsSync(CHROMIUM),
    missing: `Chromium (${CHROMIUM})`,
    remedy: 'apt-get install -y chromium, or set CHROMIUM_PATH',
  }),
  'redis-server': () => ({
    found: onPath('redis-server'),
    missing: 'redis-server (not on PATH)',
    remedy: 'apt-get install -y redis-server',
  }),
  'shared contract': () => ({
    found: existsSync(CONTRACT),
    missing: `the public contract (${CONTRACT.pathname})`,
    remedy: 'check out the shared folder beside the clone, as CI does',
  }),
} as const;

export type Need = keyof typeof NEEDS;

const inCI = !['', '0', 'false'].includes(process.env.CI ?? '');

export interface Gate {
  /** Whether the machine has it. */
  readonly available: boolean;
  /** `describe`, or a skip whose title names what is missing. */
  describe(title: string, body: () => void): void;
  /** `it`, or a skip whose title names what is missing. */
  it(title: string, body: TestFunction, timeout?: number): void;
}

/** Call at the top of a test file (collection time), so CI fails before anything starts. */
export function requires(need: Need): Gate {
  const { found, missing, remedy } = NEEDS[need]();
  if (found) return { available: true, describe, it };
  const message = `${missing} is missing: ${remedy}`;
  if (inCI) throw new Error(`CI is set, and ${message}.`);
  const skipped = (title: string) => `${title} [skipped: ${message}]`;
  console.warn(`Skipping: ${message}.`);
  return {
    available: false,
    describe: (title, body) => describe.skip(skipped(title), body),
    it: (title, body, timeout) => it.skip(skipped(title), body, timeout),
  };
}
