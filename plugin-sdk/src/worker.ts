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
}

export type WorkerAnswer =
  | { ok: true; value: unknown }
  | { ok: false; error: { name: string; message: string; code?: string; stack?: string } };

const loaded = new Map<string, Promise<DefinedPlugin>>();

async function load(entry: string): Promise<DefinedPlugin> {
  const module = (await import(entry)) as { default?: unknown };
  if (!isDefinedPlugin(module.default)) {
    throw Object.assign(new Error(`${entry} does not export default definePlugin({...})`), { code: 'KADENDE_ERR_PLUGIN_MODULE' });
  }
  return module.default;
}

export default async function runTask(task: WorkerTask): Promise<WorkerAnswer> {
  try {
    let plugin = loaded.get(task.entry);
    if (!plugin) {
      plugin = load(task.entry);
      loaded.set(task.entry, plugin);
      plugin.catch(() => loaded.delete(task.entry));
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new DOMException('the call reached its deadline', 'TimeoutError')), Math.max(1, task.deadline - Date.now()));
    try {
      const value = await callPluginMethod(await plugin, task.method, task.request, {
        env: process.env,
        deadline: task.deadline,
        signal: abort.signal,
      });
      return { ok: true, value };
    } finally {
      clearTimeout(timer);
    }
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    const code = (error as { code?: unknown }).code;
    return {
      ok: false,
      error: { name: error.name, message: error.message, code: typeof code === 'string' ? code : undefined, stack: error.stack },
    };
  }
}
