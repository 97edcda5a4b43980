/**
 * Downloads a tarball (undici) into memory, with a size cap, a check that the
 * whole body arrived, and a progress bar (cli-progress) only when stderr is a
 * terminal. Plugin tarballs are small (a few MB), so memory beats a temp file:
 * nothing reaches the cache until the bytes are verified.
 */
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { KadendeError, kadendeError } from '../errors/index.js';

export interface FetchOptions {
  /** Largest body accepted (the compressed tarball). */
  maxBytes?: number;
  timeoutMs?: number;
  /** Label for the progress bar and messages, e.g. `echo@1.0.0`. */
  label?: string;
  headers?: Record<string, string>;
  /** Show a progress bar; defaults to whether stderr is a terminal. */
  progress?: boolean;
}

export const DEFAULT_MAX_TARBALL_BYTES = 64 * 1024 * 1024;

const unreachable = (url: string, label: string, error: unknown) =>
  kadendeError('KADENDE_ERR_PLUGIN_UNREACHABLE', label, url, describeNetworkError(error)).with({ cause: error });

export function describeNetworkError(error: unknown): string {
  const err = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.cause?.code ?? err.code;
  const message = err.cause?.message ?? err.message ?? String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

let dispatcher: Dispatcher | undefined;
/**
 * Follows redirects (tarballs often sit behind one); undici 7 does that through an interceptor.
 * Composed on an Agent of this undici, never on the global dispatcher: on Node 22 and later that is
 * Node's own bundled undici, whose handler API the npm package's interceptor does not speak
 * (`invalid onError method (UND_ERR_INVALID_ARG)`).
 */
const redirecting = () => (dispatcher ??= new Agent().compose(interceptors.redirect({ maxRedirections: 5 })));

/** GETs a URL (http, https or file) and answers the whole body. */
export async function fetchBytes(url: string, options: FetchOptions = {}): Promise<Buffer> {
  const label = options.label ?? url;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_TARBALL_BYTES;
  const tooBig = () =>
    kadendeError('KADENDE_ERR_TARBALL_UNSAFE', `${label}: ${url} is larger than the ${maxBytes}-byte cap`);
  if (url.startsWith('file:')) {
    const path = fileURLToPath(url);
    const size = await stat(path).then((s) => s.size, (error: unknown) => Promise.reject(unreachable(url, label, error)));
    if (size > maxBytes) throw tooBig();
    return readFile(path);
  }
  const timeout = options.timeoutMs ?? 30_000;
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, { method: 'GET', headers: options.headers, headersTimeout: timeout, bodyTimeout: timeout, dispatcher: redirecting() });
  } catch (error) {
    throw unreachable(url, label, error);
  }
  if (response.statusCode !== 200) {
    await response.body.dump().catch(() => {});
    throw kadendeError(response.statusCode === 404 ? 'KADENDE_ERR_PLUGIN_NOT_FOUND' : 'KADENDE_ERR_PLUGIN_DOWNLOAD', `${label}: GET ${url} answered ${response.statusCode}`);
  }
  const declared = Number(response.headers['content-length'] ?? NaN);
  if (declared > maxBytes) {
    await response.body.dump().catch(() => {});
    throw tooBig();
  }
  const bar = (options.progress ?? process.stderr.isTTY) && Number.isFinite(declared) ? newBar(label, declared) : undefined;
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of response.body) {
      received += (chunk as Buffer).length;
      if (received > maxBytes) {
        response.body.destroy();
        throw tooBig();
      }
      chunks.push(chunk as Buffer);
      bar?.update(received);
    }
  } catch (error) {
    if (error instanceof KadendeError) throw error;
    throw kadendeError('KADENDE_ERR_PLUGIN_DOWNLOAD', `${label}: the download of ${url} broke off after ${received} bytes: ${describeNetworkError(error)}`).with({ cause: error });
  } finally {
    bar?.stop();
  }
  // undici notices most short bodies itself; this catches the rest.
  if (Number.isFinite(declared) && received !== declared) {
    throw kadendeError('KADENDE_ERR_PLUGIN_DOWNLOAD', `${label}: ${url} sent ${received} of ${declared} bytes`);
  }
  return Buffer.concat(chunks);
}

function newBar(label: string, total: number) {
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% {value}/{total} bytes`, stream: process.stderr, clearOnComplete: true, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}
