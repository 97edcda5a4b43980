/**
 * One worker pool per plugin@version. Every call is checked against the
 * contract's schemas on this side, runs under the plugin's heap limit, and sees
 * only the env names its manifest declares. A plugin that throws, hangs, exits,
 * runs out of memory or answers garbage fails that one call with a PluginCallError
 * naming the plugin and the call, and the pool keeps serving.
 *
 * The threads are the host's own (threads.ts): a crash fails only the calls in
 * flight on that thread, never one that had answered; a call past its timeout
 * fails at once and its thread is terminated and replaced once the calls still
 * running on it have passed their own deadlines. The limits a manifest asks for
 * are capped by host-owned ceilings (hostCeilings). What a plugin prints is
 * logged as bounded structured lines naming it (PluginOutput), never raw.
 *
 * Isolation: by default the threads run in a sandbox process of their own
 * (sandbox.ts): scrubbed environment, Node's permission model, RSS bound. A
 * manifest's `folders` names resourceProperties that hold folders the plugin
 * works in (the file plugin's `directory`): a call is served by a sandbox
 * granted that folder, one sandbox per distinct grant. The host's
 * KADENDE_PLUGIN_ISOLATION=in-process runs every plugin on threads of the
 * host's own process instead: no sandbox, for trusted plugins only.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  backoffDelay,
  createAjv,
  createContractValidators,
  pluginErrorKind,
  type ContractValidators,
  type PluginLimits,
  type PluginMethod,
  type WorkerAnswer,
  type WorkerTask,
} from '@kadende/plugin-sdk';
import type { PluginFolder } from './manifest.js';
import { PluginOutput, type PluginLogSink } from './output.js';
import { ThreadPool, type ThreadOutcome } from './threads.js';
import { SandboxPool } from './sandbox.js';
import { CallLimiters, type CallLimiter } from './limiter.js';
import { KadendeError, errorMessage, kadendeError, type ErrorCode } from '../../errors/index.js';

const workerFile = createRequire(import.meta.url).resolve('@kadende/plugin-sdk/worker');
let sharedValidators: ContractValidators | undefined;

/** RFC 3339's date-time (ranges per field, an offset required, no leap second): every match is one Date.parse reads. */
const DATE_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):?[0-5]\d)$/;

/**
 * The contract's validators as the host runs them on every answer: ajv-formats' full date-time
 * check (calendar and leap-second rules, several regexes a value) was a tenth of a describe's
 * host time at 100 resources (transport bench profile); the host needs an instant it can read, so
 * it checks the shape, field by field, in one regex.
 */
export function hostContractValidators(): ContractValidators {
  const ajv = createAjv();
  ajv.addFormat('date-time', DATE_TIME);
  return createContractValidators(ajv);
}

/** The least time the load check gives a plugin's import: a slow import on a loaded machine is not a plugin that cannot load. */
const PROBE_TIMEOUT_MS = 30_000;

const loadError = (id: string, dir: string, why: string, cause?: unknown) =>
  kadendeError('KADENDE_ERR_PLUGIN_LOAD', `plugin ${id} (${dir}) does not load: ${why}`).with({ cause });

/** Error messages and causes from a plugin are cut to this many characters before they reach events or the store. */
export const MAX_PLUGIN_ERROR_TEXT = 64 * 1024;

export function boundPluginText(text: string, max = MAX_PLUGIN_ERROR_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}... [${text.length - max} more characters cut]`;
}

/** The codes a failed plugin call can have (errors/catalogue.ts). */
export type PluginCallCode = Extract<ErrorCode, `KADENDE_ERR_PLUGIN_${'CLOSED' | 'REQUEST' | 'TIMEOUT' | 'THREW' | 'BAD_RESPONSE' | 'CRASHED' | 'OUT_OF_MEMORY' | 'MODULE'}`>;

export class PluginCallError extends KadendeError {
  constructor(
    code: PluginCallCode,
    readonly plugin: string,
    readonly method: PluginMethod,
    detail: string,
    cause?: unknown,
    /** The plugin's own error code (e.g. the SDK's PLUGIN_ERR_THROTTLED, which the host can slow down on). */
    readonly pluginCode?: string,
    /** A throttle's hint from the provider (Retry-After, a rate-limit reset) of when to try again, ms. */
    readonly retryAfterMs?: number,
  ) {
    super(code, `plugin ${plugin}: ${method} failed: ${boundPluginText(detail)}`);
    this.with({ cause });
    this.name = 'PluginCallError';
  }
}

/** The requested tags an answer's tags lack (or carry with another value), as `name=value`. */
function missingTags(wanted: Record<string, string>, got: Record<string, string>): string[] {
  return Object.entries(wanted)
    .filter(([name, value]) => got[name] !== value)
    .map(([name, value]) => `${name}=${value}`);
}

/**
 * The ids (JSON-quoted) of resources lacking a requested tag. One pass, no arrays per resource:
 * with missingTags per resource this was most of a 100-resource describe's tag check (profile).
 */
function strayResources(wanted: Record<string, string>, resources: Array<{ id: string; tags: Record<string, string> }>): string[] {
  const names = Object.keys(wanted);
  const strays: string[] = [];
  for (const resource of resources) {
    for (const name of names) {
      if (resource.tags[name] !== wanted[name]) {
        strays.push(JSON.stringify(resource.id));
        break;
      }
    }
  }
  return strays;
}

/**
 * A thread's answer from the JSON text it sent. Plugin code shares its thread's globals and can post
 * anything: a text the SDK's worker would not send is a breach, named, never a crash of the host.
 */
function parseAnswer(text: unknown): WorkerAnswer | { breach: string } {
  if (typeof text !== 'string') return { breach: 'its thread sent something other than an answer' };
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch (error) {
    return { breach: `its thread sent an answer that is not JSON (${errorMessage(error)})` };
  }
  const a = answer as { ok?: unknown; error?: unknown } | null;
  const wellFormed = typeof a === 'object' && a !== null && (a.ok === true || (a.ok === false && typeof a.error === 'object' && a.error !== null));
  return wellFormed ? (a as WorkerAnswer) : { breach: "its thread's answer is not one the SDK's worker sends" };
}

export interface PluginStats {
  calls: number;
  errors: number;
  /** Answers the plugin marked as the provider's throttling (retried by the pool within the call's deadline). */
  throttled: number;
}

/** A plugin's answer saying its provider throttled the call (the SDK's PLUGIN_ERR_THROTTLED, or a plugin's own *_ERR_THROTTLED). */
export function isThrottled(error: unknown): boolean {
  return error instanceof PluginCallError && error.code === 'KADENDE_ERR_PLUGIN_THREW' && pluginErrorKind(error.pluginCode) === 'THROTTLED';
}

/** A throttled call is tried again after a full-jitter pause from this base, doubling, up to the cap, while its deadline allows. */
const THROTTLE_RETRY_BASE_MS = 50;
const THROTTLE_RETRY_CAP_MS = 5_000;
/**
 * The longest a provider's hint (Retry-After) holds an account's calls: DigitalOcean's rate limit
 * resets within a minute; a longer hint (or a plugin's nonsense) must not stall every group.
 */
export const RETRY_AFTER_CAP_MS = 60_000;

/** The environment a plugin is given: the names its manifest declares, with the host's values. */
export function pluginEnv(names: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(names.filter((name) => env[name] !== undefined).map((name) => [name, env[name]!]));
}

/** Limits no manifest can raise: the environment's KADENDE_PLUGIN_MAX_* or these defaults. */
export const DEFAULT_CEILINGS: PluginLimits = { timeoutMs: 120_000, memoryMb: 2048, concurrency: 64 };
const CEILING_VARIABLES: Record<keyof PluginLimits, string> = {
  timeoutMs: 'KADENDE_PLUGIN_MAX_TIMEOUT_MS',
  memoryMb: 'KADENDE_PLUGIN_MAX_MEMORY_MB',
  concurrency: 'KADENDE_PLUGIN_MAX_CONCURRENCY',
};

export function hostCeilings(env: NodeJS.ProcessEnv = process.env): PluginLimits {
  const ceilings = { ...DEFAULT_CEILINGS };
  for (const key of Object.keys(CEILING_VARIABLES) as Array<keyof PluginLimits>) {
    const name = CEILING_VARIABLES[key];
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw kadendeError('KADENDE_ERR_PLUGIN_LIMIT_SETTING', name, raw);
    ceilings[key] = value;
  }
  return ceilings;
}

/** The limits a pool runs with: the manifest's, capped by the host's ceilings. */
export function effectiveLimits(asked: PluginLimits, ceilings: PluginLimits): PluginLimits {
  return {
    timeoutMs: Math.min(asked.timeoutMs, ceilings.timeoutMs),
    memoryMb: Math.min(asked.memoryMb, ceilings.memoryMb),
    concurrency: Math.min(asked.concurrency, ceilings.concurrency),
  };
}

/** Where a plugin's threads run: a sandbox process per plugin (default), or the host's own process. */
export type PluginIsolation = 'sandbox' | 'in-process';

export function hostIsolation(env: NodeJS.ProcessEnv = process.env): PluginIsolation {
  const raw = env.KADENDE_PLUGIN_ISOLATION;
  if (raw === undefined || raw === '' || raw === 'sandbox') return 'sandbox';
  if (raw === 'in-process') return 'in-process';
  throw kadendeError('KADENDE_ERR_PLUGIN_ISOLATION_SETTING', raw);
}

interface Runner {
  run(task: WorkerTask, timeoutMs: number): Promise<ThreadOutcome>;
  close(): Promise<void>;
}

export interface PluginPoolOptions {
  /** Default: hostIsolation() (KADENDE_PLUGIN_ISOLATION). */
  isolation?: PluginIsolation;
  /** Host-owned ceilings (default: hostCeilings()). */
  ceilings?: PluginLimits;
  /** Where the plugin's output lines go (default: JSON lines on the host's stderr). */
  log?: PluginLogSink;
  /** The calls in flight against the plugin's provider account, shared with other pools of it (default: the pool's own, at its concurrency). */
  limiter?: CallLimiter;
  /** How long an unused sandbox or thread stays up before it is stopped (default 30 s). */
  idleMs?: number;
}

export class PluginPool {
  readonly id: string;
  readonly stats: PluginStats = { calls: 0, errors: 0, throttled: 0 };
  /** The limits in force: the manifest's within the host's ceilings. */
  readonly limits: PluginLimits;
  readonly isolation: PluginIsolation;
  /** The in-process threads (isolation `in-process`), else undefined. */
  readonly threads: ThreadPool | undefined;
  /** The sandboxes (isolation `sandbox`), by the folders they are granted. */
  readonly sandboxes = new Map<string, SandboxPool>();
  private readonly makeSandbox: (grants: string[]) => SandboxPool;
  /** Threads each runner (in-process pool, or sandbox) starts at most. */
  readonly maxThreads: number;
  /** How long an unused sandbox or thread stays up; undefined: the runners' default, 30 s. */
  readonly idleMs: number | undefined;
  private readonly output: PluginOutput;
  /** Calls in flight against the provider account (adaptive: limiter.ts). */
  readonly limiter: CallLimiter;
  private readonly validators: ContractValidators;
  private closed = false;

  /** How long the plugin's provider may take to list a resource it created (the manifest's listingGraceMs). */
  get listingGraceMs(): number | undefined {
    return this.folder.manifest.listingGraceMs;
  }

  constructor(
    readonly folder: PluginFolder,
    options: PluginPoolOptions = {},
  ) {
    const { manifest } = folder;
    this.id = `${manifest.name}@${manifest.version}`;
    this.limits = effectiveLimits(folder.limits, options.ceilings ?? hostCeilings());
    this.validators = sharedValidators ??= hostContractValidators();
    const env = pluginEnv(manifest.env);
    // A pool of its own (a test, `plugin test`, a bench) starts at its full concurrency, as it always
    // did; a PluginHost's pools share their account's adaptive limiter.
    this.limiter = options.limiter ?? new CallLimiters().get({ plugin: manifest.name, env, ceiling: this.limits.concurrency, operatorLimit: this.limits.concurrency });
    this.output = new PluginOutput(this.id, options.log);
    // Plugins mostly wait on I/O: a few threads, each with several calls in flight.
    const maxThreads = Math.max(1, Math.min(this.limits.concurrency, availableParallelism()));
    this.maxThreads = maxThreads;
    const onOutput = (stream: 'stdout' | 'stderr', chunk: Buffer, threadId: number) => this.output.write(stream, chunk, threadId);
    this.isolation = options.isolation ?? hostIsolation();
    this.idleMs = options.idleMs;
    const idle = options.idleMs !== undefined ? { idleMs: options.idleMs } : {};
    this.threads = this.isolation === 'in-process' ? new ThreadPool({ file: workerFile, maxThreads, env, execArgv: [], memoryMb: this.limits.memoryMb, onOutput, ...idle }) : undefined;
    this.makeSandbox = (grants) => new SandboxPool({ pluginDir: folder.dir, env, maxThreads, memoryMb: this.limits.memoryMb, grants, onOutput, ...idle });
  }

  /** The sandbox for a request: the one granted the folders its properties name (manifest `folders`). */
  private runner(request: unknown): Runner {
    if (this.threads) return this.threads;
    const properties = ((request as { properties?: Record<string, unknown> }).properties ?? {}) as Record<string, unknown>;
    const grants = (this.folder.manifest.folders ?? [])
      .map((name) => properties[name])
      .filter((value): value is string => typeof value === 'string' && value !== '')
      .map((value) => resolve(value))
      .sort();
    // A granted folder exists before the plugin works in it: Node's permission model refuses a
    // recursive mkdir through the folder's parents, which are not granted.
    for (const dir of grants) if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    const key = grants.join('\0');
    let sandbox = this.sandboxes.get(key);
    if (!sandbox) {
      sandbox = this.makeSandbox(grants);
      this.sandboxes.set(key, sandbox);
    }
    return sandbox;
  }

  /**
   * Loads the plugin module once in a worker and checks that its default
   * export is a plugin, so that a plugin that cannot load (a missing module, a
   * syntax error, a default export that is not definePlugin's) is reported
   * as such, not as a failure of every call. KADENDE_ERR_PLUGIN_LOAD.
   *
   * It loads the module in every thread at once (`threads` loads sent together start that many
   * threads), so the pool is warm: no call of the first pass waits for a thread to import the
   * plugin (the aws bundle takes about half a second to import).
   */
  async probe(threads = this.maxThreads): Promise<void> {
    const timeoutMs = Math.max(this.limits.timeoutMs, PROBE_TIMEOUT_MS);
    const task: WorkerTask = { entry: this.folder.entry, method: 'describe', request: null, deadline: Date.now() + timeoutMs, probe: true };
    const runner = this.runner({});
    const outcomes = await Promise.all(Array.from({ length: Math.max(1, threads) }, () => runner.run(task, timeoutMs)));
    const answers = outcomes.map((o) => ('failure' in o ? o : parseAnswer(o.answer)));
    const outcome = answers.find((o) => 'failure' in o || 'breach' in o || !o.ok) ?? answers[0]!;
    if ('failure' in outcome) {
      if (outcome.failure === 'timeout') throw loadError(this.id, this.folder.dir, `loading it took longer than ${timeoutMs} ms`);
      if (outcome.failure === 'closed') throw loadError(this.id, this.folder.dir, 'its pool closed while loading it');
      throw loadError(this.id, this.folder.dir, `its worker died while loading it: ${errorMessage(outcome.error)}`, outcome.error);
    }
    if ('breach' in outcome) throw loadError(this.id, this.folder.dir, outcome.breach);
    if (!outcome.ok) {
      const { code, name, message } = outcome.error;
      const hint = code === 'ERR_MODULE_NOT_FOUND' ? ' (a packed plugin must be self-contained: `kadende plugin pack` bundles its dependencies)' : '';
      throw loadError(this.id, this.folder.dir, `${code ?? name}: ${boundPluginText(String(message))}${hint}`);
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
    return this.limited<T>(method, request);
  }

  /**
   * One call within the account's limiter. A throttled answer lowers the limit and the call waits
   * for a slot again (at the front of the queue), after a short jittered pause, while its deadline
   * allows: the plugin hands throttling back at once (`throttleToHost`) instead of retrying it
   * itself, so the host learns of it while it can still slow down.
   */
  private async limited<T>(method: PluginMethod, request: unknown): Promise<T> {
    let deadline: number | undefined;
    for (let attempt = 0; ; attempt += 1) {
      const slot = await this.limiter.acquire(method, attempt > 0);
      // The timeout starts when the call first starts, not while it waits for a slot; its retries share it.
      deadline ??= Date.now() + this.limits.timeoutMs;
      try {
        const value = await this.run<T>(method, request, deadline);
        this.limiter.release(slot, 'answered');
        return value;
      } catch (error) {
        const throttled = isThrottled(error);
        this.limiter.release(slot, throttled ? 'throttled' : 'other');
        if (!throttled) throw error;
        this.stats.throttled += 1;
        // The provider said when: every call of the account waits until then, this one too.
        const hint = Math.min((error as PluginCallError).retryAfterMs ?? 0, RETRY_AFTER_CAP_MS);
        if (hint > 0) this.limiter.hold(hint);
        const pause = Math.max(hint, backoffDelay(attempt, THROTTLE_RETRY_BASE_MS, THROTTLE_RETRY_CAP_MS));
        // Too little time left for another attempt to be worth sending: say the provider throttled it.
        if (deadline - Date.now() - pause < this.limits.timeoutMs / 10) throw error;
        await sleep(pause);
      }
    }
  }

  private async run<T>(method: PluginMethod, request: unknown, deadline: number): Promise<T> {
    const timeoutMs = Math.max(1, deadline - Date.now());
    const task: WorkerTask = { entry: this.folder.entry, method, request, deadline, throttleToHost: true };
    this.stats.calls += 1;
    const outcome = await this.runner(request).run(task, timeoutMs);
    try {
      if ('failure' in outcome) throw this.threadFailure(method, outcome);
      const answer = parseAnswer(outcome.answer);
      if ('breach' in answer) return this.breach(method, answer.breach);
      const value = this.checked(method, request, answer);
      return value as T;
    } catch (error) {
      this.stats.errors += 1;
      throw error;
    }
  }

  private threadFailure(method: PluginMethod, outcome: Exclude<ThreadOutcome, { answer: string }>): PluginCallError {
    switch (outcome.failure) {
      case 'timeout':
        return new PluginCallError('KADENDE_ERR_PLUGIN_TIMEOUT', this.id, method, `no answer within ${this.limits.timeoutMs} ms; its worker is being replaced`);
      case 'closed':
        return new PluginCallError('KADENDE_ERR_PLUGIN_CLOSED', this.id, method, 'the plugin pool closed during the call');
      case 'out-of-memory':
        return new PluginCallError(
          'KADENDE_ERR_PLUGIN_OUT_OF_MEMORY',
          this.id,
          method,
          (outcome.error as { code?: unknown }).code === 'ERR_SANDBOX_OUT_OF_MEMORY'
            ? `${outcome.error.message} and will be replaced`
            : `the worker ran out of memory (limit ${this.limits.memoryMb} MB) and was replaced`,
          outcome.error,
        );
      case 'crashed':
        return new PluginCallError(
          'KADENDE_ERR_PLUGIN_CRASHED',
          this.id,
          method,
          outcome.threadId === 0
            ? `the plugin's sandbox died (with every call in flight in it): ${errorMessage(outcome.error)}`
            : `the worker died (thread ${outcome.threadId}, with every call in flight on it): ${errorMessage(outcome.error)}`,
          outcome.error,
        );
    }
  }

  /** The answer, checked against the contract; a breach is an error, never trusted. */
  private checked(method: PluginMethod, request: unknown, answer: WorkerAnswer): unknown {
    if (!answer.ok) {
      const { message, code, cause } = answer.error;
      // Node's own errors already begin with their code ("ENOTDIR: not a directory, ..."): say it once.
      const text = typeof code === 'string' && !String(message).startsWith(`${code}:`) ? `${code}: ${String(message)}` : String(message);
      const causeError = typeof cause === 'string' ? new Error(boundPluginText(cause)) : undefined;
      if (answer.kind === 'unsendable') {
        return this.breach(method, `the answer cannot be sent to the host: ${text}`);
      }
      const { retryAfterMs } = answer.error;
      const hint = typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs >= 0 ? retryAfterMs : undefined;
      throw new PluginCallError('KADENDE_ERR_PLUGIN_THREW', this.id, method, text, causeError, typeof code === 'string' ? code : undefined, hint);
    }
    const problems = this.validators.response(method, answer.value);
    if (problems.length > 0) return this.breach(method, `answer breaks the contract: ${problems.join('; ')}`);
    const tags = (request as { tags?: Record<string, string> }).tags;
    if (method === 'create' && tags) {
      // A resource made without the host's tags would never be found again: say so, naming it, instead of leaking it.
      const resource = answer.value as { id: string; tags: Record<string, string> };
      const missing = missingTags(tags, resource.tags);
      if (missing.length > 0) {
        return this.breach(method, `the created resource ${JSON.stringify(resource.id)} does not carry the requested tag(s) ${missing.join(', ')}; it may be left behind unmanaged`);
      }
    }
    if (method === 'describe' && tags) {
      const strays = strayResources(tags, (answer.value as { resources: Array<{ id: string; tags: Record<string, string> }> }).resources);
      if (strays.length > 0) {
        return this.breach(method, `resource(s) ${strays.slice(0, 20).join(', ')}${strays.length > 20 ? ` and ${strays.length - 20} more` : ''} do not carry the requested tags`);
      }
    }
    return answer.value;
  }

  private breach(method: PluginMethod, detail: string): never {
    throw new PluginCallError('KADENDE_ERR_PLUGIN_BAD_RESPONSE', this.id, method, detail);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.threads?.close(), ...[...this.sandboxes.values()].map((sandbox) => sandbox.close())]);
    this.output.flush();
  }
}
