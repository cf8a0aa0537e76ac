import type { Plugin } from 'graphql-yoga';

/**
 * Fail closed: the fast path (src/http/fast-path.ts) runs Yoga's envelop but not its HTTP layer. A
 * plugin that hooks the HTTP layer would be skipped on the fast path, so any such plugin that the
 * fast path does not mirror switches the fast path off for the whole gateway. The gateway's own
 * HTTP-level plugins are marked `mirrored` where the front door or the fast path does the same
 * work through the same function; a new one added without that mark turns the fast path off
 * rather than being skipped.
 */

/** Yoga's and whatwg-node's hooks that run outside envelop (and so outside the fast path). */
export const HTTP_LEVEL_HOOKS = [
  'onRequest',
  'onRequestParse',
  'onParams',
  'onExecutionResult',
  'onResultProcess',
  'onResponse',
] as const;

/** Instrumentation phases that wrap Yoga's HTTP handling rather than envelop's. */
const HTTP_LEVEL_INSTRUMENTATION = ['request', 'requestParse', 'operation', 'resultProcess'];

const MIRRORED = new WeakSet<object>();

/** Marks a gateway plugin whose HTTP-level work the fast path does itself, the same way. */
export function mirrored<P extends object>(plugin: P): P {
  MIRRORED.add(plugin);
  return plugin;
}

/** The HTTP-level hooks of a plugin, unless it is marked mirrored. */
export function unmirroredHooks(plugin: object): string[] {
  if (MIRRORED.has(plugin)) return [];
  const record = plugin as Record<string, unknown>;
  const hooks: string[] = HTTP_LEVEL_HOOKS.filter((hook) => typeof record[hook] === 'function');
  const instrumentation = record.instrumentation as Record<string, unknown> | undefined;
  if (instrumentation && typeof instrumentation === 'object') {
    for (const phase of HTTP_LEVEL_INSTRUMENTATION) {
      if (typeof instrumentation[phase] === 'function') hooks.push(`instrumentation.${phase}`);
    }
  }
  return hooks;
}

/** A plugin the fast path cannot serve beside: its position, its name if any, and its hooks. */
export interface FastPathBlocker {
  index: number;
  name: string;
  hooks: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: any plugin, whatever its context type
type PluginEntry = Plugin<any> | false | null | undefined;

/** The first plugin whose HTTP-level hooks the fast path does not mirror, or undefined. */
export function findFastPathBlocker(plugins: readonly PluginEntry[]): FastPathBlocker | undefined {
  for (const [index, plugin] of plugins.entries()) {
    if (!plugin || typeof plugin !== 'object') continue;
    const hooks = unmirroredHooks(plugin);
    if (hooks.length === 0) continue;
    const named = (plugin as { name?: unknown }).name;
    return { index, name: typeof named === 'string' ? named : `plugin #${index}`, hooks };
  }
  return undefined;
}

/**
 * The end of a plugin list, so the plugins added at init can be found: envelop splices a plugin's
 * `addPlugin` children right after it, so every child of a listed plugin sits before this mark,
 * and Yoga's own trailing plugins after it.
 */
export const END_OF_GATEWAY_PLUGINS: Plugin = mirrored({});

/**
 * The plugins envelop ended up with, from the first of `given` to END_OF_GATEWAY_PLUGINS: the
 * given ones and every plugin they added at init (which a scan of `given` alone would miss).
 */
export function pluginsAsBuilt(
  yoga: unknown,
  given: readonly PluginEntry[],
): readonly PluginEntry[] {
  // Yoga keeps envelop's list (after init) as `plugins`.
  const built = (yoga as { plugins?: PluginEntry[] }).plugins;
  const first = given.find((plugin) => plugin && typeof plugin === 'object');
  if (!built || !first) return given;
  const start = built.indexOf(first);
  const end = built.indexOf(END_OF_GATEWAY_PLUGINS);
  return start < 0 || end < start ? given : built.slice(start, end);
}
