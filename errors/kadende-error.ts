/**
 * The one error class of Kadende. Build errors with `kadendeError(code, ...args)`:
 * the catalogue gives the message, the HTTP status and the exit code, so a
 * code means the same thing wherever it is raised. The CLI maps `exitCode` to
 * its exit status, the HTTP API maps `statusCode` to its response.
 */
import { CATALOGUE, isErrorCode, type ErrorCode, type MessageArgs } from './catalogue.js';

export class KadendeError extends Error {
  readonly code: ErrorCode;
  /** 2 for invalid input (the operator can fix the request), 1 otherwise. */
  readonly exitCode: 1 | 2;
  readonly statusCode: number;
  details?: unknown;
  /** The message for HTTP API clients, where advice in `message` names the CLI's commands or flags (see hint()). */
  apiMessage?: string;

  constructor(code: ErrorCode, message: string, options: { statusCode?: number } = {}) {
    super(message);
    this.name = 'KadendeError';
    this.code = code;
    this.exitCode = CATALOGUE[code].exit;
    this.statusCode = options.statusCode ?? CATALOGUE[code].status;
  }

  /** Attaches what caused it and machine-readable details (a reconcile report, a list of problems). */
  with(extra: { cause?: unknown; details?: unknown; statusCode?: number }): this {
    if (extra.cause !== undefined) Object.defineProperty(this, 'cause', { value: extra.cause, enumerable: false, configurable: true, writable: true });
    if (extra.details !== undefined) this.details = extra.details;
    // A status of this occurrence (a delete that ran out of time answers 504, one that failed 500).
    if (extra.statusCode !== undefined) (this as { statusCode: number }).statusCode = extra.statusCode;
    return this;
  }

  /**
   * Appends advice in each front end's own terms: `cli` (its commands and flags) to the message
   * the CLI prints, `api` (routes and fields) to the one the HTTP API answers, so that an API
   * client is never told to run `kadende ...`.
   */
  hint(cli: string, api: string): this {
    const base = this.message;
    this.message = base + cli;
    this.apiMessage = (this.apiMessage ?? base) + api;
    return this;
  }
}

export function kadendeError<C extends ErrorCode>(code: C, ...args: MessageArgs<C>): KadendeError {
  const template = CATALOGUE[code].message as (...values: MessageArgs<C>) => string;
  return new KadendeError(code, template(...args));
}

/**
 * An error another Kadende process reported (the daemon's API answer): its
 * code and message as sent, its status as answered. A code this build does
 * not know (a newer daemon) is kept in the message under KADENDE_ERR_SERVER.
 */
export function remoteError(code: unknown, message: string, status: number): KadendeError {
  if (isErrorCode(code)) return new KadendeError(code, message, { statusCode: status });
  return new KadendeError('KADENDE_ERR_SERVER', `${message} [${String(code)}]`, { statusCode: status });
}

/** The stable code of any error: a KadendeError's, a plugin's (`AWS_ERR_*`), Node's (`ENOENT`), or undefined. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A typed test for one catalogue code, for code paths that treat one error specially. */
export function hasCode(error: unknown, code: ErrorCode): error is KadendeError {
  return errorCode(error) === code;
}

/** The message of anything thrown, without `[object Object]` for non-errors. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
