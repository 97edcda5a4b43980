/**
 * A plugin's sandbox: its worker threads (plugin-sdk's ThreadPool) run in a
 * child process of their own, started with
 *
 * - only the environment names the manifest declares, and TMPDIR (its scratch
 *   folder), so /proc/self/environ holds those and nothing of the host's;
 * - Node's permission model: read access to the plugin's own folder and the
 *   SDK runtime (plugin-sdk/dist) only, write access to a scratch folder of its
 *   own (and to the folders the host grants, see `grants`); no child processes,
 *   no addons; worker threads allowed (the pool needs them);
 * - a memory bound on the whole process's RSS, heap and off-heap: the host
 *   polls it and kills a sandbox over its limit, failing its calls in flight
 *   with the reason, and the next call starts a new one.
 *
 * The host talks to it over IPC and still checks every answer (pool.ts). A call
 * past its deadline retires the sandbox: no new calls go to it, and it is killed
 * once its other calls have settled or passed their own deadlines; killing the
 * process ends a thread stuck in a native call, which terminating it cannot.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { SandboxConfig, SandboxMessage, SandboxOutcome, SandboxRequest } from '@kadende/plugin-sdk/sandbox-entry';
import type { WorkerTask } from '@kadende/plugin-sdk';
import { IdleWatch } from '@kadende/plugin-sdk/threads';
import type { ThreadOutcome } from './threads.js';

const entryFile = realpathSync(createRequire(import.meta.url).resolve('@kadende/plugin-sdk/sandbox-entry'));
/** The SDK runtime a sandbox may read: plugin-sdk/dist. */
export const SANDBOX_RUNTIME_DIR = dirname(entryFile);

/** What a sandbox's RSS may reach beyond the plugin's memoryMb: Node's own runtime, and per worker thread. */
export const SANDBOX_RUNTIME_MB = 64;
export const SANDBOX_THREAD_MB = 16;
const POLL_MS = 50;

export interface SandboxOptions {
  /** The plugin's folder: readable. */
  pluginDir: string;
  /** Declared env names with their values: the sandbox's whole environment. */
  env: Record<string, string>;
  maxThreads: number;
  memoryMb: number;
  /** Folders the plugin may read and write besides its scratch folder. */
  grants?: string[];
  /** How long the sandbox, and each of its threads, stays up with nothing to do (default 30 s). */
  idleMs?: number;
  onOutput(stream: 'stdout' | 'stderr', chunk: Buffer, threadId: number): void;
}

interface Pending {
  settle(outcome: ThreadOutcome): void;
  deadline: number;
}

class Child {
  readonly pending = new Map<number, Pending>();
  retiring = false;
  cause: ThreadOutcome | undefined;
  /** Retires it after the pool's idle time with nothing to do. */
  readonly idle: IdleWatch;
  poll: NodeJS.Timeout | undefined;
  peakRssMb = 0;
  constructor(
    readonly process: ChildProcess,
    readonly scratch: string,
    idleMs: number | undefined,
    onIdle: (child: Child) => void,
  ) {
    this.idle = new IdleWatch(idleMs, () => this.pending.size > 0, () => onIdle(this));
  }
}

/** Node 20 has the permission model as `--experimental-permission`; Node 22 has both names, Node 24 only `--permission`. */
const PERMISSION_FLAG = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';

export function permissionFlags(pluginDir: string, scratch: string, grants: string[] = []): string[] {
  const real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  };
  return [
    PERMISSION_FLAG,
    `--allow-fs-read=${real(pluginDir)}`,
    `--allow-fs-read=${SANDBOX_RUNTIME_DIR}`,
    `--allow-fs-read=${scratch}`,
    `--allow-fs-write=${scratch}`,
    ...grants.flatMap((dir) => [`--allow-fs-read=${real(dir)}`, `--allow-fs-write=${real(dir)}`]),
    '--allow-worker',
    '--no-warnings',
  ];
}

async function rssMb(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export class SandboxPool {
  private child: Child | undefined;
  private readonly retired = new Set<Child>();
  private nextId = 1;
  private closed = false;
  /** Sandboxes started, for tests and metrics. */
  started = 0;
  /** The RSS bound in MB. */
  readonly rssLimitMb: number;

  constructor(private readonly options: SandboxOptions) {
    this.rssLimitMb = options.memoryMb + SANDBOX_RUNTIME_MB + SANDBOX_THREAD_MB * options.maxThreads;
  }

  /** The pid of the sandbox serving calls, if one runs. */
  get pid(): number | undefined {
    return this.child?.process.pid;
  }

  run(task: WorkerTask, timeoutMs: number): Promise<ThreadOutcome> {
    if (this.closed) return Promise.resolve({ failure: 'closed' });
    const child = (this.child ??= this.start());
    const id = this.nextId++;
    return new Promise<ThreadOutcome>((resolve) => {
      // The sandbox times the call out itself; this is the host's own bound, for a sandbox that cannot answer.
      const timer = setTimeout(() => {
        if (!child.pending.delete(id)) return;
        resolve({ failure: 'timeout' });
        this.retire(child);
      }, timeoutMs + 1_000);
      child.pending.set(id, {
        deadline: Date.now() + timeoutMs,
        settle: (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
      });
      child.process.channel?.ref();
      child.process.send({ type: 'call', id, task, timeoutMs } satisfies SandboxRequest);
    });
  }

  private start(): Child {
    const { pluginDir, env, maxThreads, memoryMb, grants, idleMs } = this.options;
    const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'kadende-sandbox-')));
    const config: SandboxConfig = { maxThreads, memoryMb, ...(idleMs !== undefined ? { idleMs } : {}) };
    const proc = spawn(process.execPath, [...permissionFlags(pluginDir, scratch, grants), entryFile, JSON.stringify(config)], {
      // Its scratch folder is its TMPDIR; its working directory is the host's, so relative folders mean what they mean to the host.
      env: { ...env, TMPDIR: scratch },
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const child = new Child(proc, scratch, this.options.idleMs, (idle) => this.retire(idle));
    this.started += 1;
    proc.unref();
    proc.channel?.unref();
    // The sandbox's own stdout and stderr (not its plugin's threads'): Node's messages before the runtime runs.
    proc.stdout?.on('data', (chunk: Buffer) => this.options.onOutput('stdout', chunk, 0));
    proc.stderr?.on('data', (chunk: Buffer) => this.options.onOutput('stderr', chunk, 0));
    (proc.stdout as { unref?: () => void } | null)?.unref?.();
    (proc.stderr as { unref?: () => void } | null)?.unref?.();
    proc.on('message', (message: SandboxMessage) => this.message(child, message));
    proc.on('error', (error) => {
      child.cause ??= { failure: 'crashed', error, threadId: 0 };
    });
    proc.on('exit', (code, signal) => this.exited(child, code, signal));
    child.poll = setInterval(() => void this.checkMemory(child), POLL_MS);
    child.poll.unref();
    return child;
  }

  private async checkMemory(child: Child): Promise<void> {
    const pid = child.process.pid;
    if (pid === undefined || child.process.exitCode !== null) return;
    const mb = await rssMb(pid);
    if (mb === undefined) return;
    child.peakRssMb = Math.max(child.peakRssMb, mb);
    if (mb <= this.rssLimitMb || child.cause) return;
    const error = Object.assign(new Error(`the plugin's sandbox used ${Math.round(mb)} MB of memory (RSS, heap and off-heap), over its limit of ${this.rssLimitMb} MB; it was killed`), {
      code: 'ERR_SANDBOX_OUT_OF_MEMORY',
    });
    child.cause = { failure: 'out-of-memory', error, threadId: 0 };
    this.kill(child);
  }

  private message(child: Child, message: SandboxMessage): void {
    switch (message?.type) {
      case 'outcome': {
        const pending = child.pending.get(message.id);
        if (!pending) return;
        child.pending.delete(message.id);
        const outcome = revive(message.outcome);
        pending.settle(outcome);
        if ('failure' in outcome && outcome.failure === 'timeout') this.retire(child);
        this.settled(child);
        return;
      }
      case 'output':
        this.options.onOutput(message.stream, Buffer.from(message.chunk), message.threadId);
        return;
      default:
        return;
    }
  }

  private settled(child: Child): void {
    if (child.pending.size > 0) return;
    child.process.channel?.unref();
    if (child.retiring) {
      this.kill(child);
      return;
    }
    child.idle.settled();
  }

  /** No new calls go to this sandbox; it is killed once the calls left on it settle or pass their deadlines. */
  private retire(child: Child): void {
    child.idle.stop();
    if (!child.retiring) {
      child.retiring = true;
      if (this.child === child) this.child = undefined;
      this.retired.add(child);
    }
    if (child.pending.size === 0) return this.kill(child);
    const last = Math.max(...[...child.pending.values()].map((p) => p.deadline));
    setTimeout(() => this.kill(child), Math.max(0, last - Date.now()) + 1_000).unref();
  }

  private kill(child: Child): void {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  }

  private exited(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child === child) this.child = undefined;
    this.retired.delete(child);
    clearInterval(child.poll);
    child.idle.stop();
    rmSync(child.scratch, { recursive: true, force: true });
    const cause: ThreadOutcome = child.cause ?? {
      failure: 'crashed',
      error: new Error(`the plugin's sandbox process exited (${signal ? `signal ${signal}` : `code ${code}`})`),
      threadId: 0,
    };
    const pending = [...child.pending.values()];
    child.pending.clear();
    for (const call of pending) call.settle(this.closed ? { failure: 'closed' } : cause);
  }

  /** Kills every sandbox; the calls in flight fail as closed. */
  async close(): Promise<void> {
    this.closed = true;
    const children = [...(this.child ? [this.child] : []), ...this.retired];
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.process.exitCode !== null || child.process.signalCode !== null) return resolve();
            // Held until it has exited: a CLI awaiting close() must not end with the child unreaped.
            child.process.ref();
            child.process.once('exit', () => resolve());
            this.kill(child);
          }),
      ),
    );
  }
}

function revive(outcome: SandboxOutcome): ThreadOutcome {
  if (!('error' in outcome)) return outcome;
  const error = Object.assign(new Error(outcome.error.message), { name: outcome.error.name, ...(outcome.error.code ? { code: outcome.error.code } : {}) });
  return { failure: outcome.failure, error, threadId: outcome.threadId };
}
