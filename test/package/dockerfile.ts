import { readFileSync } from 'node:fs';

/** One instruction of a Dockerfile: `RUN npm ci` is { op: 'RUN', args: 'npm ci' }. */
export interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/**
 * Reads a Dockerfile into its stages, enough to replay them outside Docker: comments dropped,
 * backslash continuations joined, `ARG`s before the first FROM substituted into FROM lines.
 */
export function parseDockerfile(path: string | URL): Stage[] {
  const text = readFileSync(path, 'utf8');
  const joined = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of joined.split('\n')) {
    const match = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const op = match[1] as string;
    const rest = (match[2] as string).trim().replace(/\s+/g, ' ');
    if (op === 'ARG' && stages.length === 0) {
      const [name, value = ''] = rest.split('=');
      args.set(name as string, value);
    } else if (op === 'FROM') {
      const from = rest.replace(/\$\{(\w+)\}/g, (_, name: string) => args.get(name) ?? '');
      const [image = '', , name = image] = from.split(' ');
      stages.push({ name, from: image, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op, args: rest });
    }
  }
  return stages;
}

/** `ENV A=1 B=2` as a record. */
export function envOf(instruction: Instruction): Record<string, string> {
  return Object.fromEntries(
    instruction.args.split(' ').map((pair) => pair.split('=') as [string, string]),
  );
}

/** `COPY [--from=x] a b dest` as its sources, destination and stage. */
export function copyOf(instruction: Instruction): {
  from?: string;
  sources: string[];
  dest: string;
} {
  const words = instruction.args.split(' ');
  const from = words[0]?.startsWith('--from=') ? words.shift()?.slice('--from='.length) : undefined;
  const dest = words.pop() as string;
  return { from, sources: words, dest };
}

/** The exec-form array of a CMD (or of a HEALTHCHECK's CMD). */
export function execFormOf(args: string): string[] {
  const json = args.slice(args.indexOf('['));
  return JSON.parse(json) as string[];
}
