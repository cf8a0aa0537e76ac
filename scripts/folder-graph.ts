/**
 * Which folder of src/ imports which: the layering docs/architecture.md describes, read from the
 * code. A folder is the first path segment under src/; files at src/'s root are the composition
 * root (they may import anything); src/generated/ is data. test/package/architecture.unit.test.ts
 * fails on a loop between folders; `npx tsx scripts/folder-graph.ts [srcDir]` prints the graph.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The composition root: src/'s own files. */
export const ROOT = '(root)';
/** Generated data, imported by whoever needs it; it imports nothing of ours. */
const DATA = new Set(['generated']);

/** from folder → to folder → the imports that make the edge (`file: specifier`). */
export type FolderGraph = Map<string, Map<string, string[]>>;

// Comments may quote an import (`import('./x.js')` in a JSDoc line): they are dropped first. A `//`
// after a colon is a URL inside a string, not a comment.
const stripComments = (code: string): string =>
  code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"\w])\/\/.*$/gm, '$1');

const IMPORT_PATTERNS = [
  // import x from '…'; import type { A } from '…'; import * as x from '…' (clauses hold no quotes)
  /^\s*import\s+(?:type\s+)?[^;'"]*?\s+from\s*['"]([^'"]+)['"]/gm,
  // import '…' (for its effects)
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  // export * from '…'; export { a } from '…'; export type { A } from '…'
  /^\s*export\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s*from\s*['"]([^'"]+)['"]/gm,
  // import('…') with a literal: loaded later, but a dependency all the same
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** The relative specifiers a module imports or re-exports. */
export function importsOf(code: string): string[] {
  const text = stripComments(code);
  const found: string[] = [];
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1]!;
      if (specifier.startsWith('.')) found.push(specifier);
    }
  }
  return found;
}

const folderOf = (srcDir: string, file: string): string | undefined => {
  const path = relative(srcDir, file);
  if (path.startsWith('..')) return undefined;
  const parts = path.split(sep);
  return parts.length === 1 ? ROOT : parts[0];
};

/** Every import between two folders of `srcDir`. */
export function readFolderGraph(srcDir: string): FolderGraph {
  const graph: FolderGraph = new Map();
  const files = readdirSync(srcDir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(srcDir, name));
  for (const file of files) {
    const from = folderOf(srcDir, file);
    if (from === undefined || DATA.has(from)) continue;
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      const to = folderOf(srcDir, resolve(dirname(file), specifier));
      if (to === undefined || to === from || DATA.has(to)) continue;
      const targets = graph.get(from) ?? new Map<string, string[]>();
      graph.set(from, targets);
      const via = targets.get(to) ?? [];
      via.push(`${relative(srcDir, file)}: ${specifier}`);
      targets.set(to, via);
    }
  }
  return graph;
}

/** An import of a folder by another, as `[from, to]`. */
export type Edge = readonly [string, string];

const hasEdge = (ignored: readonly Edge[], from: string, to: string) =>
  ignored.some(([a, b]) => a === from && b === to);

/** The shortest path of folders from `start` to `goal`, not taking the `ignored` edges. */
function pathBetween(
  graph: FolderGraph,
  start: string,
  goal: string,
  ignored: readonly Edge[],
): string[] | undefined {
  const previous = new Map<string, string>([[start, start]]);
  const queue = [start];
  while (queue.length > 0) {
    const at = queue.shift()!;
    if (at === goal) {
      const path = [goal];
      while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
      return path;
    }
    for (const next of graph.get(at)?.keys() ?? []) {
      if (previous.has(next) || hasEdge(ignored, at, next)) continue;
      previous.set(next, at);
      queue.push(next);
    }
  }
  return undefined;
}

/**
 * Each import of a folder by a folder that imports it back, directly or through others, as
 * `a → b → … → a`: one line per edge that closes a loop. The composition root is not a folder:
 * it imports everything, and nothing may import it (see `importsOfRoot`).
 */
export function loopsOf(graph: FolderGraph, ignored: readonly Edge[] = []): string[] {
  const loops: string[] = [];
  for (const [from, targets] of graph) {
    if (from === ROOT) continue;
    for (const to of targets.keys()) {
      if (to === ROOT || hasEdge(ignored, from, to)) continue;
      const back = pathBetween(graph, to, from, ignored);
      if (back) loops.push([from, ...back].join(' → '));
    }
  }
  return loops.sort();
}

/** A loop of `loopsOf` with the imports that make each of its steps, for a failure message. */
export function explainLoop(graph: FolderGraph, loop: string): string {
  const folders = loop.split(' → ');
  const steps = folders.slice(1).map((to, i) => {
    const from = folders[i]!;
    return `  ${from} → ${to}: ${(graph.get(from)?.get(to) ?? []).join(', ')}`;
  });
  return [loop, ...steps].join('\n');
}

/** The folders that import the composition root (which imports every folder). */
export const importsOfRoot = (graph: FolderGraph): string[] =>
  [...graph].filter(([, targets]) => targets.has(ROOT)).map(([from]) => from);

/** One line per folder: what it imports, and through how many imports. */
export function renderFolderGraph(graph: FolderGraph): string {
  return [...graph.keys()]
    .sort()
    .map((from) => {
      const targets = [...graph.get(from)!]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([to, via]) => `${to} (${via.length})`);
      return `${from} → ${targets.join(', ')}`;
    })
    .join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const srcDir = resolve(process.argv[2] ?? fileURLToPath(new URL('../src', import.meta.url)));
  const graph = readFolderGraph(srcDir);
  const loops = loopsOf(graph);
  process.stdout.write(`${renderFolderGraph(graph)}\n\nloops:\n${loops.join('\n') || 'none'}\n`);
}
