/**
 * One worker pool per plugin@version. Every call is checked against the
 * contract's schemas on this side, runs under the plugin's heap limit, and sees
 * only the env names its manifest declares. A plugin that throws, hangs, exits,
 * runs out of memory or answers garbage fails that one call with a
 * PluginCallError naming the plugin and the call, and the pool keeps serving.
 *
 * Timeouts are raced here, not given to piscina (see run): a call past its
 * timeout fails at once, and its pool is retired: new calls go to a fresh pool,
 * and the old one's threads are terminated once the calls still running on them
 * have passed their own deadlines (see retire).
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import pLimit, { type LimitFunction } from 'p-limit';
import { createContractValidators, type ContractValidators, type PluginMethod, type WorkerAnswer, type WorkerTask } from '@kadende/plugin-sdk';
import { KadendeError, invalidInput } from '../errors.js';
import type { PluginFolder } from './manifest.js';

const workerFile = createRequire(import.meta.url).resolve('@kadende/plugin-sdk/worker');
let sharedValidators: ContractValidators | undefined;
const TIMED_OUT = Symbol('timed out');
/** The least time the load check gives a plugin's import. */
const PROBE_TIMEOUT_MS = 30_000;

export class PluginCallError extends KadendeError {
  constructor(
    code: string,
    readonly plugin: string,
    readonly method: PluginMethod,
    detail: string,
    cause?: unknown,
  ) {
    super(code, `plugin ${plugin}: ${method} failed: ${detail}`, { cause });
    this.name = 'PluginCallError';
  }
}

const loadError = (id: string, dir: string, why: string, cause?: unknown) =>
  invalidInput('KADENDE_ERR_PLUGIN_LOAD', `plugin ${id} (${dir}) does not load: ${why}`, { cause });

export interface PluginStats {
  calls: number;
  errors: number;
}

export class PluginPool {
  readonly id: string;
  readonly stats: PluginStats = { calls: 0, errors: 0 };
  private pool: Piscina;
  /** Pools left after a timeout, with the timer that destroys each. */
  private readonly retired = new Map<Piscina, NodeJS.Timeout>();
  private readonly env: Record<string, string>;
  private readonly limit: LimitFunction;
  private readonly validators: ContractValidators;
  private closed = false;

  constructor(readonly folder: PluginFolder) {
    const { manifest, limits } = folder;
    this.id = `${manifest.name}@${manifest.version}`;
    this.validators = sharedValidators ??= createContractValidators();
    this.limit = pLimit(limits.concurrency);
    this.env = Object.fromEntries(
      manifest.env.filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]!]),
    );
    this.pool = this.startPool();
  }

  private startPool(): Piscina {
    const { limits } = this.folder;
    // Plugins mostly wait on I/O: a few threads, each with several calls in flight.
    const maxThreads = Math.max(1, Math.min(limits.concurrency, availableParallelism()));
    const pool = new Piscina({
      filename: workerFile,
      minThreads: 0,
      maxThreads,
      concurrentTasksPerWorker: Math.ceil(limits.concurrency / maxThreads),
      idleTimeout: 30_000,
      env: this.env,
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb },
    });
    // A crashing worker is reported through the failed call; the pool itself must not throw.
    pool.on('error', () => {});
    return pool;
  }

  /**
   * A call got no answer by its timeout although the worker runtime aborts the
   * plugin's signal at the deadline: its thread may be stuck in a loop that only
   * termination ends. Calls from now on go to a fresh pool; the old one is
   * destroyed (its threads terminated) once every call it still runs has passed
   * its own deadline, so no other call is cut short.
   */
  private retire(pool: Piscina): void {
    if (pool !== this.pool || this.closed) return;
    this.pool = this.startPool();
    const destroy = () => {
      this.retired.delete(pool);
      void pool.destroy().catch(() => {});
    };
    const timer = setTimeout(destroy, this.folder.limits.timeoutMs + 1_000);
    timer.unref();
    this.retired.set(pool, timer);
  }

  /**
   * Loads the plugin module once in a worker and checks that its default
   * export is a plugin, so that a plugin that cannot load (a missing module, a
   * syntax error, a default export that is not definePlugin's) is reported
   * as such, not as a failure of every call. KADENDE_ERR_PLUGIN_LOAD.
   */
  async probe(): Promise<void> {
    // Generous: a slow import on a loaded machine is not a plugin that cannot load.
    const timeoutMs = Math.max(this.folder.limits.timeoutMs, PROBE_TIMEOUT_MS);
    const task: WorkerTask = { entry: this.folder.entry, method: 'describe', request: null, deadline: Date.now() + timeoutMs, probe: true };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
    });
    const pool = this.pool;
    let answer: WorkerAnswer | typeof TIMED_OUT;
    try {
      answer = await Promise.race([pool.run(task) as Promise<WorkerAnswer>, timedOut]);
    } catch (error) {
      throw loadError(this.id, this.folder.dir, `its worker died while loading it: ${(error as Error).message}`, error);
    } finally {
      clearTimeout(timer);
    }
    if (answer === TIMED_OUT) {
      this.retire(pool);
      throw loadError(this.id, this.folder.dir, `loading it took longer than ${timeoutMs} ms`);
    }
    if (!answer.ok) {
      const { code, name, message } = answer.error;
      throw loadError(this.id, this.folder.dir, `${code ?? name}: ${message}${code === 'ERR_MODULE_NOT_FOUND' ? ' (a packed plugin must be self-contained: `kadende plugin pack` bundles its dependencies)' : ''}`);
    }
  }

  /** Calls one contract method; resolves with the checked answer or rejects with a PluginCallError. */
  call<T>(method: PluginMethod, request: unknown): Promise<T> {
    if (this.closed) return Promise.reject(new PluginCallError('KADENDE_ERR_PLUGIN_CLOSED', this.id, method, 'the plugin pool is closed'));
    const requestProblems = this.validators.request(method, request);
    if (requestProblems.length > 0) {
      return Promise.reject(
        new PluginCallError('KADENDE_ERR_PLUGIN_REQUEST', this.id, method, `the host built an invalid request: ${requestProblems.join('; ')}`),
      );
    }
    // The timeout starts when the call starts, not while it waits for a slot.
    return this.limit(() => this.run<T>(method, request));
  }

  private async run<T>(method: PluginMethod, request: unknown): Promise<T> {
    const { timeoutMs } = this.folder.limits;
    const task: WorkerTask = { entry: this.folder.entry, method, request, deadline: Date.now() + timeoutMs };
    this.stats.calls += 1;
    let answer: WorkerAnswer;
    // No abort signal for piscina: it runs an abortable task alone on its thread, which would
    // cap calls in flight at the thread count whatever limits.concurrency says. The timeout is
    // raced here instead, and a timed-out pool is retired (see retire).
    const pool = this.pool;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
    });
    try {
      const settled = await Promise.race([pool.run(task) as Promise<WorkerAnswer>, timedOut]);
      if (settled === TIMED_OUT) {
        this.retire(pool);
        throw new PluginCallError('KADENDE_ERR_PLUGIN_TIMEOUT', this.id, method, `no answer within ${timeoutMs} ms; its worker is being replaced`);
      }
      answer = settled;
    } catch (error) {
      this.stats.errors += 1;
      throw error instanceof PluginCallError ? error : this.workerFailure(method, error);
    } finally {
      clearTimeout(timer);
    }
    if (!answer.ok) {
      this.stats.errors += 1;
      const { message, code } = answer.error;
      throw new PluginCallError('KADENDE_ERR_PLUGIN_THREW', this.id, method, `${code ? `${code}: ` : ''}${message}`);
    }
    const problems = this.validators.response(method, answer.value);
    if (problems.length > 0) {
      this.stats.errors += 1;
      throw new PluginCallError('KADENDE_ERR_PLUGIN_BAD_RESPONSE', this.id, method, `answer breaks the contract: ${problems.join('; ')}`);
    }
    return answer.value as T;
  }

  private workerFailure(method: PluginMethod, error: unknown): PluginCallError {
    const err = error as { name?: string; code?: string; message?: string };
    if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      return new PluginCallError(
        'KADENDE_ERR_PLUGIN_OUT_OF_MEMORY',
        this.id,
        method,
        `the worker ran out of memory (limit ${this.folder.limits.memoryMb} MB) and was replaced`,
        error,
      );
    }
    return new PluginCallError('KADENDE_ERR_PLUGIN_CRASHED', this.id, method, `the worker died: ${err.message ?? String(error)}`, error);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const retired = [...this.retired.entries()];
    this.retired.clear();
    for (const [, timer] of retired) clearTimeout(timer);
    await Promise.all([this.pool.destroy(), ...retired.map(([pool]) => pool.destroy().catch(() => {}))]);
  }
}
