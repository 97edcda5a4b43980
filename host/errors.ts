/**
 * Errors with stable codes (KADENDE_ERR_*), in the spirit of fastify's
 * FST_ERR_*. The CLI maps `exitCode` to its process exit status, the HTTP API
 * maps `statusCode` to its response.
 */
export class KadendeError extends Error {
  readonly code: string;
  /** 2 for invalid input (the operator can fix the request), 1 otherwise. */
  readonly exitCode: 1 | 2;
  readonly statusCode: number;
  readonly details?: unknown;

  constructor(
    code: string,
    message: string,
    options: { exitCode?: 1 | 2; statusCode?: number; cause?: unknown; details?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KadendeError';
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
    this.statusCode = options.statusCode ?? (this.exitCode === 2 ? 400 : 500);
    this.details = options.details;
  }
}

/** Input the operator can fix (arguments, files, plugin references): exit 2, HTTP 400. */
export const invalidInput = (code: string, message: string, options: { cause?: unknown; details?: unknown } = {}) =>
  new KadendeError(code, message, { ...options, exitCode: 2, statusCode: 400 });

export const notFound = (code: string, message: string) =>
  new KadendeError(code, message, { exitCode: 1, statusCode: 404 });

export const conflict = (code: string, message: string) =>
  new KadendeError(code, message, { exitCode: 2, statusCode: 409 });
