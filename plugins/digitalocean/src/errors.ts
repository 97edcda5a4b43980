/**
 * DigitalOcean failures sorted into what the host can act on. dots-wrapper
 * rejects with axios errors: `response.status` and DO's body `{ id, message }`,
 * or a connection error `code` (ECONNRESET, ...). Every error the plugin throws
 * carries a stable `code` (DO_ERR_*), DO's message, and DO's error `id` as
 * `providerCode`.
 */
import { CONNECTION_ERROR_CODES, parseRetryAfter, PluginError, THROTTLED_ERROR_CODE, type RetryPolicy } from '@kadende/plugin-sdk';

export type DoErrorCode =
  | 'DO_ERR_AUTH' // token missing, wrong or without the needed scope
  | 'DO_ERR_VALIDATION' // DO refused the request as written (422, 400, unknown size, tag too long)
  | 'DO_ERR_NOT_FOUND'
  | 'DO_ERR_CONFIG' // a property the plugin cannot turn into a request (unknown ssh key name, memory without a size)
  | typeof THROTTLED_ERROR_CODE
  | 'DO_ERR_UNAVAILABLE'
  | 'DO_ERR_TIMEOUT';

export class DoPluginError extends PluginError<DoErrorCode> {
  override readonly name = 'DoPluginError';
}

interface AxiosLike {
  code?: string;
  message?: string;
  response?: { status?: number; data?: { id?: string; message?: string }; headers?: Record<string, unknown> };
}

const asAxios = (error: unknown): AxiosLike => (typeof error === 'object' && error !== null ? (error as AxiosLike) : {});

export function status(error: unknown): number | undefined {
  return asAxios(error).response?.status;
}

function isNetwork(error: unknown): boolean {
  const e = asAxios(error);
  return e.response === undefined && CONNECTION_ERROR_CODES.has(e.code ?? '');
}

export function retryable(error: unknown): boolean {
  const s = status(error);
  return isNetwork(error) || s === 429 || (s !== undefined && s >= 500);
}

export function translate(error: unknown, signal?: AbortSignal): Error {
  if (error instanceof DoPluginError) return error;
  const e = asAxios(error);
  const s = e.response?.status;
  const message = e.response?.data?.message ?? e.message ?? String(error);
  const providerCode = e.response?.data?.id ?? e.code;
  const fail = (code: DoErrorCode, text = message) => new DoPluginError(code, text, providerCode, { cause: error });
  if (signal?.aborted) return fail('DO_ERR_TIMEOUT', `DigitalOcean call did not finish before the deadline (last error: ${message})`);
  if (s === 429) return fail(THROTTLED_ERROR_CODE);
  if (isNetwork(error) || (s !== undefined && s >= 500)) return fail('DO_ERR_UNAVAILABLE');
  if (s === 401 || s === 403) return fail('DO_ERR_AUTH');
  if (s === 404) return fail('DO_ERR_NOT_FOUND');
  if (s !== undefined) return fail('DO_ERR_VALIDATION');
  return error instanceof Error ? error : new Error(message);
}

/**
 * DO's hint on a 429: `retry-after` (seconds; sent with 429s since 2023, per DO's release
 * note "API burst rate limit ... Retry-After header") or else `ratelimit-reset`, "the time
 * when the oldest request will expire ... in Unix epoch time" (API reference, headers).
 */
export function retryAfterMs(error: unknown, now = Date.now()): number | undefined {
  const e = asAxios(error);
  if (e.response?.status !== 429) return undefined;
  const headers = e.response.headers ?? {};
  const after = parseRetryAfter(headers['retry-after'], now);
  if (after !== undefined) return after;
  const reset = Number(headers['ratelimit-reset']);
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : undefined;
}

/** Whether a failed create may still have made its droplet: no answer, or a 5xx. */
export function ambiguous(error: unknown): boolean {
  const s = status(error);
  return s === undefined ? !(error instanceof DoPluginError) : s >= 500;
}

/** How every DigitalOcean call is retried (see withRetry in the SDK). */
export const RETRY: RetryPolicy = { isRetryable: retryable, translate, retryAfterMs: (error) => retryAfterMs(error) };
