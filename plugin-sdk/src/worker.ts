/**
 * The worker runtime: piscina loads this file in each worker thread of a
 * plugin's pool. It imports the plugin module once, calls the asked-for method
 * and answers with an envelope, so errors cross the thread boundary with their
 * name, code and message intact. Validation happens on the host side.
 */
import { syncBuiltinESMExports } from 'node:module';
import * as workerThreads from 'node:worker_threads';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { callPluginMethod, isDefinedPlugin, type DefinedPlugin } from './define.js';
import { THREAD_MARK, type PluginMethod } from './constants.js';
import { PLUGIN_MODULE_ERROR } from './error-codes.js';

export interface WorkerTask {
  /** file:// URL of the plugin's ES module. */
  entry: string;
  method: PluginMethod;
  request: unknown;
  deadline: number;
  /** Only load the plugin module and check its default export (the host's load check); no method is called. */
  probe?: boolean;
  /** The host retries throttled calls itself, under its adaptive limit (PluginContext.throttleToHost). */
  throttleToHost?: boolean;
}

export type WorkerAnswer =
  | { ok: true; value: unknown }
  | {
      ok: false;
      /** `threw`: the plugin threw or rejected; `unsendable`: its answer cannot cross to the host as JSON (a BigInt, a cycle). */
      kind?: 'threw' | 'unsendable';
      error: ThrownError;
    };

/** What crosses to the host of an error a plugin threw. */
export interface ThrownError {
  name: string;
  message: string;
  code?: string;
  cause?: string;
  /** A throttle's hint of when to try again, ms from when it was thrown (withRetry sets it with throttleToHost). */
  retryAfterMs?: number;
}

/** What the host posts to a worker thread, and what the thread answers. */
export interface ThreadRequest {
  id: number;
  task: WorkerTask;
}
export interface ThreadAnswer {
  id: number;
  /**
   * The WorkerAnswer as JSON text. The contract is JSON, and text crosses a thread (and a sandbox's
   * IPC) as one string: the host parses a 100-resource describe in half the time a structured
   * clone of it takes to arrive, and at 32 calls in flight the host's thread is what bounds a pool.
   */
  answer: string;
}


/** Messages and causes are cut to this many characters before they leave the worker. */
export const MAX_ERROR_TEXT = 64 * 1024;

export function boundText(text: string, max = MAX_ERROR_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}... [${text.length - max} more characters cut]`;
}

/** Any JSON-able view of a value, never `[object Object]`, never throwing (null prototypes, cycles, throwing getters). */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    // An Error, or an error-like object (a null prototype, a plain object with a message).
    const message = (value as { message?: unknown } | null)?.message;
    if (typeof message === 'string') return message;
    if (value instanceof Error) return textOf(message);
  } catch {
    // a throwing getter: fall through
  }
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // a cycle, a BigInt, a throwing toJSON
  }
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The envelope of anything a plugin throws or rejects with. */
export function describeThrown(caught: unknown): ThrownError {
  let name = 'Error';
  let code: string | undefined;
  let cause: string | undefined;
  let retryAfterMs: number | undefined;
  try {
    const candidate = (caught as { name?: unknown } | null)?.name;
    if (typeof candidate === 'string') name = candidate;
    else if (!(caught instanceof Error)) name = 'NonErrorThrown';
  } catch {
    name = 'NonErrorThrown';
  }
  try {
    const candidate = (caught as { code?: unknown } | null)?.code;
    if (typeof candidate === 'string') code = candidate;
  } catch {
    // a throwing getter
  }
  try {
    const candidate = (caught as { cause?: unknown } | null)?.cause;
    if (candidate !== undefined && caught instanceof Error) cause = boundText(textOf(candidate));
  } catch {
    // a throwing getter
  }
  try {
    const candidate = (caught as { retryAfterMs?: unknown } | null)?.retryAfterMs;
    if (typeof candidate === 'number' && Number.isFinite(candidate) && candidate >= 0) retryAfterMs = candidate;
  } catch {
    // a throwing getter
  }
  const message = boundText(textOf(caught));
  return {
    name: boundText(name, 256),
    message,
    ...(code !== undefined ? { code: boundText(code, 256) } : {}),
    ...(cause !== undefined ? { cause } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

const loaded = new Map<string, Promise<DefinedPlugin>>();
const ready = new Map<string, DefinedPlugin>();

async function load(entry: string): Promise<DefinedPlugin> {
  const module = (await import(entry)) as { default?: unknown };
  if (!isDefinedPlugin(module.default)) {
    throw Object.assign(new Error(`${entry} does not export default definePlugin({...})`), { code: PLUGIN_MODULE_ERROR });
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
        throttleToHost: task.throttleToHost === true,
        get signal() {
          return deadline.signal();
        },
      });
      return { ok: true, value };
    } finally {
      deadline.clear();
    }
  } catch (caught) {
    return { ok: false, kind: 'threw', error: describeThrown(caught) };
  }
}

/**
 * The message loop of a thread in the host's pool: one answer per request, posted
 * under the request's id so the host attributes it to its own call. An answer that
 * cannot be cloned is reported for that call, instead of crashing the thread (and
 * every call on it).
 */
/**
 * In a sandbox (the permission model is on), a plugin starts no threads of its
 * own: on Node 20 a Worker given its own execArgv runs outside the permission
 * model, so `--allow-worker` (which the sandbox's pool needs) would let it out.
 */
function lockThreads(): void {
  const refuse = function Worker() {
    throw Object.assign(new Error('a plugin in a Kadende sandbox cannot start worker threads'), { code: 'ERR_ACCESS_DENIED' });
  };
  const exports = (workerThreads as { default?: Record<string, unknown> }).default ?? (workerThreads as unknown as Record<string, unknown>);
  exports.Worker = refuse;
  syncBuiltinESMExports();
}

if (!isMainThread && parentPort && workerData === THREAD_MARK) {
  if ((process as { permission?: unknown }).permission) lockThreads();
  const port = parentPort;
  port.on('message', (message: ThreadRequest) => {
    void runTask(message.task).then((answer) => {
      let text: string;
      try {
        // What JSON cannot say is not sent: a BigInt or a cycle fails the call; a function-valued field is left out.
        text = JSON.stringify(answer);
      } catch (error) {
        text = JSON.stringify({ ok: false, kind: 'unsendable', error: describeThrown(error) } satisfies WorkerAnswer);
      }
      port.postMessage({ id: message.id, answer: text } satisfies ThreadAnswer);
    });
  });
}
