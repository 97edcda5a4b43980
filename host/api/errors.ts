/**
 * Every error the API answers has the body `{ error: { code, message, issues? } }`
 * with a stable code, the same code and message the CLI prints. Stacks stay in
 * the daemon's log.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CONFIG_INVALID, ConfigError } from '../config/errors.js';
import type { ConfigIssue } from '../config/types.js';
import { KadendeError } from '../errors.js';

export interface ErrorBody {
  error: { code: string; message: string; issues?: ConfigIssue[] };
}

export const REQUEST_INVALID = 'KADENDE_ERR_REQUEST_INVALID';

const FRAMEWORK_CODES: Record<number, string> = {
  401: 'KADENDE_ERR_UNAUTHORIZED',
  404: 'KADENDE_ERR_NOT_FOUND',
  405: 'KADENDE_ERR_METHOD_NOT_ALLOWED',
  413: 'KADENDE_ERR_REQUEST_TOO_LARGE',
  415: 'KADENDE_ERR_UNSUPPORTED_MEDIA_TYPE',
};

export function toErrorReply(error: unknown): { status: number; body: ErrorBody; unexpected: boolean } {
  if (error instanceof ConfigError || (error as { code?: string }).code === CONFIG_INVALID) {
    const { message, issues } = error as ConfigError;
    return { status: 400, body: { error: { code: CONFIG_INVALID, message, issues } }, unexpected: false };
  }
  if (error instanceof KadendeError) {
    return { status: error.statusCode, body: { error: { code: error.code, message: error.message } }, unexpected: error.statusCode >= 500 };
  }
  const framework = error as FastifyError;
  if (framework.validation) {
    return { status: 400, body: { error: { code: REQUEST_INVALID, message: `invalid request: ${framework.message}` } }, unexpected: false };
  }
  const status = framework.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = FRAMEWORK_CODES[status] ?? REQUEST_INVALID;
    return { status, body: { error: { code, message: framework.message } }, unexpected: false };
  }
  return {
    status: 500,
    body: { error: { code: 'KADENDE_ERR_UNEXPECTED', message: `unexpected error: ${(error as Error).message ?? String(error)}` } },
    unexpected: true,
  };
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body, unexpected } = toErrorReply(error);
  if (unexpected) request.log.error({ err: error, url: request.url }, 'request failed');
  void reply.status(status).send(body);
}
