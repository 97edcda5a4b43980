/**
 * Every error the API answers has the body `{ error: { code, message, issues? } }`
 * with a stable code, the same code and message the CLI prints. Stacks stay in
 * the daemon's log.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ConfigIssue } from '../../model/index.js';
import { KadendeError, kadendeError, errorMessage, type ErrorCode } from '../../errors/index.js';

export interface ErrorBody {
  error: { code: string; message: string; issues?: ConfigIssue[] };
}

/** fastify's own refusals (no route, a body too large, ...) under the catalogue's codes. */
const FRAMEWORK_CODES: Partial<Record<number, ErrorCode>> = {
  401: 'KADENDE_ERR_UNAUTHORIZED',
  404: 'KADENDE_ERR_NOT_FOUND',
  405: 'KADENDE_ERR_METHOD_NOT_ALLOWED',
  413: 'KADENDE_ERR_REQUEST_TOO_LARGE',
  415: 'KADENDE_ERR_UNSUPPORTED_MEDIA_TYPE',
};

/** Any error as a KadendeError: Kadende's own as they are, fastify's under a catalogue code, the rest as unexpected. */
export function asKadendeError(error: unknown): KadendeError {
  if (error instanceof KadendeError) return error;
  const framework = error as FastifyError;
  if (framework.validation) {
    // "must NOT have additional properties" alone does not say which.
    const unknown = framework.validation.flatMap((problem) => {
      const name = (problem.params as { additionalProperty?: unknown } | undefined)?.additionalProperty;
      return typeof name === 'string' ? [JSON.stringify(name.slice(0, 100))] : [];
    });
    return kadendeError('KADENDE_ERR_REQUEST_INVALID', unknown.length > 0 ? `${framework.message} (${unknown.join(', ')})` : framework.message);
  }
  const status = framework.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = FRAMEWORK_CODES[status];
    return code ? new KadendeError(code, framework.message, { statusCode: status }) : new KadendeError('KADENDE_ERR_REQUEST_INVALID', framework.message, { statusCode: status });
  }
  return kadendeError('KADENDE_ERR_UNEXPECTED', errorMessage(error));
}

export function toErrorReply(error: unknown): { status: number; body: ErrorBody; unexpected: boolean } {
  const known = asKadendeError(error);
  const issues = (known as { issues?: ConfigIssue[] }).issues;
  return {
    status: known.statusCode,
    body: { error: { code: known.code, message: known.message, ...(issues ? { issues } : {}) } },
    unexpected: known.statusCode >= 500,
  };
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body, unexpected } = toErrorReply(error);
  if (unexpected) request.log.error({ err: error, url: request.url }, 'request failed');
  void reply.status(status).send(body);
}

/**
 * Node's refusals before fastify sees a request (headers too large, a headers
 * timeout, a malformed request line): answered on the socket with the same
 * `{ error: { code, message } }` body as everything else, then closed.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const refusal =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? kadendeError('KADENDE_ERR_REQUEST_HEADERS_TOO_LARGE', 'the request headers are larger than the server accepts')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? kadendeError('KADENDE_ERR_REQUEST_TIMEOUT', 'the request did not arrive in time')
        : kadendeError('KADENDE_ERR_REQUEST_INVALID', 'a malformed HTTP request');
  const body = JSON.stringify({ error: { code: refusal.code, message: refusal.message } } satisfies ErrorBody);
  if (socket.writable) {
    const reason = refusal.statusCode === 431 ? 'Request Header Fields Too Large' : refusal.statusCode === 408 ? 'Request Timeout' : 'Bad Request';
    socket.write(`HTTP/1.1 ${refusal.statusCode} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
