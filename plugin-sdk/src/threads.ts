/**
 * The threads of one plugin pool, on worker_threads directly (not piscina), so
 * the host owns what piscina decides for it:
 *
 * - Attribution. Every request carries an id and its answer comes back under it.
 *   A thread that dies fails only the calls still pending on it, each with the
 *   same cause, and only at its 'exit': Node delivers every message the thread
 *   posted before it died first, so a call that had answered keeps its answer.
 *   (piscina fails a dead worker's tasks on its 'error' event, which can overtake
 *   answers still in flight on its own message channel, and it crashes the whole
 *   worker when one answer cannot be cloned.)
 * - Timeouts. A call past its deadline is failed at once and its thread retired:
 *   no new calls go to it, and it is terminated (and so replaced) as soon as the
 *   calls still running on it have settled or reached their own deadlines.
 * - Output. Threads start with `stdout: true, stderr: true`: what a plugin prints
 *   comes to the host as streams, never raw onto the host's own stdout.
 */
import { Worker } from 'node:worker_threads';
import { THREAD_MARK } from './constants.js';
import { IdleWatch } from './idle.js';
import type { ThreadAnswer, ThreadRequest, WorkerTask } from './worker.js';

export type ThreadOutcome =
  /** The WorkerAnswer as JSON text, parsed by the host that checks it (a sandbox relays it as it is). */
  | { answer: string }
  | { failure: 'timeout' }
  | { failure: 'closed' }
  | { failure: 'crashed' | 'out-of-memory'; error: Error; threadId: number };

export interface ThreadPoolOptions {
  file: string;
  maxThreads: number;
  env: Record<string, string>;
  memoryMb: number;
  /**
   * The threads' execArgv; undefined inherits the process's. A sandbox must
   * inherit: on Node 20 a Worker given its own execArgv runs outside the
   * permission model.
   */
  execArgv?: string[];
  /** How long a thread with nothing to do stays up (default 30 s). */
  idleMs?: number;
  /** Each chunk a thread writes to its stdout or stderr. */
  onOutput(stream: 'stdout' | 'stderr', chunk: Buffer, threadId: number): void;
}

interface Pending {
  settle(outcome: ThreadOutcome): void;
  timer: NodeJS.Timeout;
}

class Thread {
  readonly pending = new Map<number, Pending>();
  retiring = false;
  cause: Error | undefined;
  /** Retires it after the pool's idle time with nothing to do. */
  readonly idle: IdleWatch;
  /** When a call was last sent to it: ties go to the thread used longest ago, so every thread sees calls and none idles out. */
  lastUsed = 0;
  constructor(
    readonly worker: Worker,
    idleMs: number | undefined,
    onIdle: (thread: Thread) => void,
  ) {
    this.idle = new IdleWatch(idleMs, () => this.pending.size > 0, () => onIdle(this));
  }
}

export class ThreadPool {
  private readonly threads = new Set<Thread>();
  /** Retired threads not yet exited. A thread stuck in native code (fs.promises.mkdir('/proc/nope/x') on Node 20 never settles) may never exit. */
  private readonly retired = new Set<Thread>();
  private nextId = 1;
  private closed = false;
  /** Threads started, for tests and metrics. */
  started = 0;

  constructor(private readonly options: ThreadPoolOptions) {}

  /** Threads serving calls. */
  get size(): number {
    return this.threads.size;
  }

  /** Retired threads whose termination has not completed. */
  get stuck(): number {
    return this.retired.size;
  }

  /** Runs one task; never rejects: every way a call can end is an outcome. */
  run(task: WorkerTask, timeoutMs: number): Promise<ThreadOutcome> {
    if (this.closed) return Promise.resolve({ failure: 'closed' });
    const thread = this.pick();
    const id = this.nextId++;
    return new Promise<ThreadOutcome>((resolve) => {
      const timer = setTimeout(() => {
        if (!thread.pending.delete(id)) return;
        resolve({ failure: 'timeout' });
        this.retire(thread);
      }, timeoutMs);
      const settle = (outcome: ThreadOutcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      thread.pending.set(id, { settle, timer });
      thread.lastUsed = performance.now();
      thread.worker.postMessage({ id, task } satisfies ThreadRequest);
    });
  }

  /**
   * The least busy live thread, of those the one used longest ago; a new one while there is room and
   * every live thread is busy. Without the tie-break a quiet plugin's calls (a describe a pass) all
   * went to the first thread, and the others idled out and had to import the plugin again for the
   * next scale-up.
   */
  private pick(): Thread {
    let best: Thread | undefined;
    let live = 0;
    for (const thread of this.threads) {
      live += 1;
      if (!best || thread.pending.size < best.pending.size || (thread.pending.size === best.pending.size && thread.lastUsed < best.lastUsed)) best = thread;
    }
    if (!best || (best.pending.size > 0 && live < this.options.maxThreads)) return this.start();
    return best;
  }

  private start(): Thread {
    const { file, env, memoryMb, execArgv } = this.options;
    const worker = new Worker(file, {
      workerData: THREAD_MARK,
      env,
      ...(execArgv ? { execArgv } : {}),
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: memoryMb },
    });
    const thread = new Thread(worker, this.options.idleMs, (idle) => this.retire(idle));
    this.threads.add(thread);
    this.started += 1;
    const threadId = worker.threadId;
    worker.unref();
    worker.stdout.on('data', (chunk: Buffer) => this.options.onOutput('stdout', chunk, threadId));
    worker.stderr.on('data', (chunk: Buffer) => this.options.onOutput('stderr', chunk, threadId));
    worker.on('message', (message: ThreadAnswer) => {
      const pending = thread.pending.get(message?.id);
      if (!pending) return; // timed out already
      thread.pending.delete(message.id);
      pending.settle({ answer: message.answer });
      this.settled(thread);
    });
    // The cause is kept for 'exit', which comes after every message the thread posted.
    worker.on('error', (error) => {
      thread.cause ??= error instanceof Error ? error : new Error(String(error));
    });
    worker.on('exit', (code) => {
      this.threads.delete(thread);
      this.retired.delete(thread);
      thread.idle.stop();
      const cause = thread.cause ?? new Error(`the worker exited with code ${code}`);
      const outOfMemory = (cause as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      const pending = [...thread.pending.values()];
      thread.pending.clear();
      for (const call of pending) {
        call.settle(this.closed ? { failure: 'closed' } : { failure: outOfMemory ? 'out-of-memory' : 'crashed', error: cause, threadId });
      }
    });
    return thread;
  }

  private settled(thread: Thread): void {
    if (thread.pending.size > 0) return;
    if (thread.retiring) {
      void thread.worker.terminate();
      return;
    }
    thread.idle.settled();
  }

  /** No new calls go to this thread; it is terminated once the calls left on it settle or time out. */
  private retire(thread: Thread): void {
    thread.idle.stop();
    if (!thread.retiring) {
      thread.retiring = true;
      this.threads.delete(thread);
      this.retired.add(thread);
    }
    if (thread.pending.size === 0) void thread.worker.terminate();
  }

  /** Terminates every thread; waits at most `waitMs` for them (a thread stuck in native code never ends). */
  async close(waitMs = 2_000): Promise<void> {
    this.closed = true;
    const threads = [...this.threads, ...this.retired];
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
      timer.unref();
    });
    await Promise.race([Promise.all(threads.map((thread) => thread.worker.terminate())), bound]);
    clearTimeout(timer);
  }
}

export { IdleWatch } from './idle.js';
