/**
 * Compute Engine failures sorted into what the host can act on. The REST
 * transport (google-gax fallback) rejects with the HTTP status as `code` and
 * GCE's JSON error body as `message`; connection failures have a string
 * `code` (ECONNRESET, ...). Every error the plugin throws carries a stable
 * `code` (GCP_ERR_*), GCE's own message, and GCE's `reason` as `providerCode`.
 */
import { CONNECTION_ERROR_CODES, PluginError, THROTTLED_ERROR_CODE, type RetryPolicy } from '@kadende/plugin-sdk';

export type GcpErrorCode =
  | 'GCP_ERR_AUTH' // no, bad or insufficient credentials
  | 'GCP_ERR_VALIDATION' // GCE refused the request as written
  | 'GCP_ERR_NOT_FOUND'
  | 'GCP_ERR_CONFLICT' // the instance name is taken by something Kadende did not make for this token
  | 'GCP_ERR_CONFIG' // no project, unknown image, bad endpoint
  | 'GCP_ERR_OPERATION' // the zone operation finished with an error
  | typeof THROTTLED_ERROR_CODE
  | 'GCP_ERR_UNAVAILABLE'
  | 'GCP_ERR_TIMEOUT';

export class GcpPluginError extends PluginError<GcpErrorCode> {
  override readonly name = 'GcpPluginError';
}

const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);
const SERVER_REASONS = new Set(['backendError', 'internalError']);

interface Parsed {
  status?: number;
  reason?: string;
  message: string;
  network: boolean;
}

export function parse(error: unknown): Parsed {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; status?: unknown; message?: string };
  const status = typeof e.code === 'number' && e.code >= 100 ? e.code : typeof e.status === 'number' ? e.status : undefined;
  let message = e.message ?? String(error);
  let reason: string | undefined;
  try {
    const body = JSON.parse(message) as { error?: { message?: string; errors?: { reason?: string }[]; status?: string } };
    if (body.error) {
      message = body.error.message ?? message;
      reason = body.error.errors?.[0]?.reason ?? body.error.status;
    }
  } catch {
    // Not a JSON body: a connection failure or a local error.
  }
  return { status, reason, message, network: status === undefined && typeof e.code === 'string' && CONNECTION_ERROR_CODES.has(e.code) };
}

export function retryable(error: unknown): boolean {
  const { status, reason, network } = parse(error);
  return network || status === 429 || (status !== undefined && status >= 500) || RATE_REASONS.has(reason ?? '') || SERVER_REASONS.has(reason ?? '');
}

export function translate(error: unknown, signal?: AbortSignal): Error {
  if (error instanceof GcpPluginError) return error;
  const { status, reason, message, network } = parse(error);
  const fail = (code: GcpErrorCode, text = message) => new GcpPluginError(code, text, reason ?? (network ? String((error as { code?: unknown }).code) : undefined), { cause: error });
  if (signal?.aborted) return fail('GCP_ERR_TIMEOUT', `Compute Engine call did not finish before the deadline (last error: ${message})`);
  if (status === 429 || RATE_REASONS.has(reason ?? '')) return fail(THROTTLED_ERROR_CODE);
  if (network || (status !== undefined && status >= 500)) return fail('GCP_ERR_UNAVAILABLE');
  if (status === 401 || status === 403) return fail('GCP_ERR_AUTH');
  if (status === 404) return fail('GCP_ERR_NOT_FOUND');
  if (status === 409) return fail('GCP_ERR_CONFLICT');
  if (status !== undefined) return fail('GCP_ERR_VALIDATION');
  // gax's own deadline (DEADLINE_EXCEEDED, a gRPC code) when the per-call timeout ran out.
  if ((error as { code?: unknown })?.code === 4) return fail('GCP_ERR_TIMEOUT');
  return error instanceof Error ? error : new Error(message);
}

/** How every Compute Engine call is retried (see withRetry in the SDK). */
export const RETRY: RetryPolicy = { isRetryable: retryable, translate };
