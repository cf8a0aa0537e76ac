import type { Plugin } from 'graphql-yoga';

/**
 * Fail closed for the plugins a gateway is given (`createGateway({ plugins })`). The fast path runs
 * envelop (parse, validate, context, execute) but not Yoga's HTTP layer, so a given plugin that
 * hooks that layer, or that adds such a plugin when envelop initialises it, turns the fast path off
 * for the whole gateway instead of being skipped on it. The gateway's own HTTP-level work is not
 * in Yoga plugins the fast path could skip: the front door runs the request checks before either
 * transport, and the parameter and result steps are lists both transports run.
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

/** The HTTP-level hooks of a plugin. */
export function httpLevelHooks(plugin: object): string[] {
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

/** A given plugin the fast path cannot serve beside: its name (or position) and its hooks. */
export interface FastPathBlocker {
  name: string;
  hooks: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: any plugin, whatever its context type
type PluginEntry = Plugin<any> | false | null | undefined;

/**
 * Watches the plugins a gateway is given: returns them to hand to Yoga (each that has an
 * `onPluginInit` wrapped so the plugins it adds are seen too) and `blocker()`, the first one with
 * an HTTP-level hook, known once Yoga has been built (envelop initialises plugins then).
 */
export function watchGivenPlugins(given: readonly PluginEntry[]) {
  const blockers: FastPathBlocker[] = [];
  const watch = (plugin: PluginEntry, label: string): PluginEntry => {
    if (!plugin || typeof plugin !== 'object') return plugin;
    const hooks = httpLevelHooks(plugin);
    if (hooks.length > 0) {
      const named = (plugin as { name?: unknown }).name;
      blockers.push({ name: typeof named === 'string' ? named : label, hooks });
    }
    const init = plugin.onPluginInit;
    if (typeof init !== 'function') return plugin;
    // The plugin itself stays the prototype: its hooks and fields read through.
    const watched = Object.create(plugin) as Plugin;
    watched.onPluginInit = function (this: unknown, payload) {
      return init.call(this, {
        ...payload,
        addPlugin: (added) => payload.addPlugin(watch(added, `${label} (added at init)`) as never),
      });
    };
    return watched;
  };
  return {
    plugins: given.map((plugin, index) => watch(plugin, `plugin #${index}`)),
    blocker: (): FastPathBlocker | undefined => blockers[0],
  };
}
