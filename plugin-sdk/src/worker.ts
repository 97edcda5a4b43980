/**
 * The worker runtime: piscina loads this file in each worker thread of a
 * plugin's pool. It imports the plugin module once, calls the asked-for method
 * and answers with an envelope, so errors cross the thread boundary with their
 * name, code and message intact. Validation happens on the host side.
 */
import { callPluginMethod, isDefinedPlugin, type DefinedPlugin } from './define.js';
import type { PluginMethod } from './constants.js';

export interface WorkerTask {
  /** file:// URL of the plugin's ES module. */
  entry: string;
  method: PluginMethod;
  request: unknown;
  deadline: number;
  /** Only load the plugin module and check its default export (the host's load check); no method is called. */
  probe?: boolean;
}

export type WorkerAnswer =
  | { ok: true; value: unknown }
  | { ok: false; error: { name: string; message: string; code?: string } };

const loaded = new Map<string, Promise<DefinedPlugin>>();
const ready = new Map<string, DefinedPlugin>();

async function load(entry: string): Promise<DefinedPlugin> {
  const module = (await import(entry)) as { default?: unknown };
  if (!isDefinedPlugin(module.default)) {
    throw Object.assign(new Error(`${entry} does not export default definePlugin({...})`), { code: 'KADENDE_ERR_PLUGIN_MODULE' });
  }
  return module.default;
}

/**
 * The signal that fires at the call's deadline, made only when the plugin asks
 * for it: most calls never do, and a controller and a timer per call are a
 * measurable share of a short call's cost.
 */
function lazyDeadlineSignal(deadline: number): { signal(): AbortSignal; clear(): void } {
  let abort: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  return {
    signal() {
      if (!abort) {
        abort = new AbortController();
        const fire = () => abort!.abort(new DOMException('the call reached its deadline', 'TimeoutError'));
        timer = setTimeout(fire, Math.max(1, deadline - Date.now()));
      }
      return abort.signal;
    },
    clear() {
      clearTimeout(timer);
    },
  };
}

export default async function runTask(task: WorkerTask): Promise<WorkerAnswer> {
  try {
    // Once loaded, the plugin is used without awaiting its import again.
    let plugin: DefinedPlugin | undefined = ready.get(task.entry);
    if (!plugin) {
      let loading = loaded.get(task.entry);
      if (!loading) {
        loading = load(task.entry);
        loaded.set(task.entry, loading);
        loading.catch(() => loaded.delete(task.entry));
      }
      plugin = await loading;
      ready.set(task.entry, plugin);
    }
    if (task.probe) return { ok: true, value: null };
    const deadline = lazyDeadlineSignal(task.deadline);
    try {
      const value = await callPluginMethod(plugin, task.method, task.request, {
        env: process.env,
        deadline: task.deadline,
        get signal() {
          return deadline.signal();
        },
      });
      return { ok: true, value };
    } finally {
      deadline.clear();
    }
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    const code = (error as { code?: unknown }).code;
    return {
      ok: false,
      error: { name: error.name, message: error.message, code: typeof code === 'string' ? code : undefined },
    };
  }
}
