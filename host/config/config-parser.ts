/**
 * Configurations parsed off the event loop: the daemon answers /healthz and
 * every other client while a large configuration is parsed (a 1.8 MB one of
 * small groups costs seconds of CPU; the loader's limits bound it, a thread
 * keeps it from stalling everything else). One worker, started on first use,
 * one parse at a time; a crashed worker fails the parses in flight and is
 * replaced on the next one.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { KadendeError } from '../../errors/index.js';
import type { ConfigIssue } from '../../model/index.js';
import { ConfigError } from './errors.js';
import { MAX_GROUP_SIZE_ENV } from './limits.js';
import type { LoadedConfig } from './load.js';
import { fromPortable, type PortableConfig } from './portable.js';

export interface ParseRequest {
  id: number;
  text: string;
  file: string;
  maxGroupSize?: string;
}

export type ParseReply =
  | { id: number; ok: true; config: PortableConfig }
  | { id: number; ok: false; issues: ConfigIssue[] }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } };

/** The built worker: beside this file in dist/, or, run from the sources (tests, after `npm run build`), in dist/. */
function workerFile(): string {
  const built = fileURLToPath(import.meta.url).endsWith('.js');
  return fileURLToPath(new URL(built ? './parse-worker.js' : '../../dist/host/config/parse-worker.js', import.meta.url));
}

export class ConfigParser {
  private worker?: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (config: LoadedConfig) => void; reject: (error: Error) => void }>();

  /** As loadClusterConfigPartially, in the worker thread. */
  load(text: string, file: string): Promise<LoadedConfig> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<LoadedConfig>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: ParseRequest = { id, text, file, maxGroupSize: process.env[MAX_GROUP_SIZE_ENV] };
      worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    const worker = new Worker(workerFile());
    // An idle parser never keeps the process alive.
    worker.unref();
    worker.on('message', (reply: ParseReply) => this.settle(reply));
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, { reject }] of this.pending) {
        this.pending.delete(id);
        reject(error);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the configuration parser thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: ParseReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (reply.ok) waiter.resolve(fromPortable(reply.config));
    else if ('issues' in reply) waiter.reject(new ConfigError(reply.issues));
    else if (reply.error.code?.startsWith('KADENDE_ERR_')) waiter.reject(new KadendeError(reply.error.code as never, reply.error.message));
    else waiter.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }));
  }
}
