/**
 * The entry of a plugin's sandbox: a child process the host starts under Node's
 * permission model (host/plugins/sandbox.ts) with only the plugin's declared
 * environment, read access to the plugin's folder and this runtime, and write
 * access to a scratch folder of its own (plus any folder the host grants). It
 * runs the plugin's worker threads (threads.ts) and talks to the host over the
 * IPC channel: one `call` in, one `outcome` out under the same id, and the
 * plugin's output as `output` messages. The host checks every answer.
 */
import { fileURLToPath } from 'node:url';
import { ThreadPool, type ThreadOutcome } from './threads.js';
import type { WorkerTask } from './worker.js';

export interface SandboxConfig {
  maxThreads: number;
  memoryMb: number;
  /** How long an unused thread stays up (the host's idle time for the sandbox itself). */
  idleMs?: number;
}

export type SandboxRequest = { type: 'call'; id: number; task: WorkerTask; timeoutMs: number };

/** A thread outcome as it crosses the IPC channel: errors as plain data. */
export type SandboxOutcome =
  | Exclude<ThreadOutcome, { error: Error }>
  | { failure: 'crashed' | 'out-of-memory'; error: { name: string; message: string; code?: string }; threadId: number };

export type SandboxMessage =
  | { type: 'ready' }
  | { type: 'outcome'; id: number; outcome: SandboxOutcome }
  | { type: 'output'; stream: 'stdout' | 'stderr'; chunk: Uint8Array; threadId: number };

function send(message: SandboxMessage): void {
  process.send?.(message);
}

function plain(outcome: ThreadOutcome): SandboxOutcome {
  if (!('error' in outcome)) return outcome;
  const { name, message } = outcome.error;
  const code = (outcome.error as { code?: unknown }).code;
  return { failure: outcome.failure, threadId: outcome.threadId, error: { name, message, ...(typeof code === 'string' ? { code } : {}) } };
}

if (process.send && process.argv[2]) {
  const config = JSON.parse(process.argv[2]) as SandboxConfig;
  const pool = new ThreadPool({
    file: fileURLToPath(new URL('./worker.js', import.meta.url)),
    maxThreads: config.maxThreads,
    env: { ...process.env } as Record<string, string>,
    memoryMb: config.memoryMb,
    ...(config.idleMs !== undefined ? { idleMs: config.idleMs } : {}),
    onOutput: (stream, chunk, threadId) => send({ type: 'output', stream, chunk, threadId }),
  });
  process.on('message', (message: SandboxRequest) => {
    if (message?.type !== 'call') return;
    void pool.run(message.task, message.timeoutMs).then((outcome) => send({ type: 'outcome', id: message.id, outcome: plain(outcome) }));
  });
  // The host went away: nothing is left to answer to.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}
