/**
 * Every error the API answers has the body `{ error: { code, message, issues?, details? } }`
 * with a stable code and the catalogue's message. Advice that names the CLI's
 * commands or flags is worded for the API (KadendeError.hint), unless the
 * client is the kadende CLI, which says so with `Kadende-Hints: cli` and then
 * prints what it would print in-process. Stacks stay in the daemon's log.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ConfigIssue } from '../../model/index.js';
import { KadendeError, kadendeError, errorMessage, type ErrorCode } from '../../errors/index.js';

export interface ErrorBody {
  /** details: what the operation had when it failed (the last reconcile report of a wait that timed out or is stuck). */
  error: { code: string; message: string; issues?: ConfigIssue[]; details?: unknown };
}

/** The request header by which the kadende CLI asks for the messages it prints in-process. */
export const HINTS_HEADER = 'kadende-hints';

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

export function toErrorReply(error: unknown, options: { forCli?: boolean } = {}): { status: number; body: ErrorBody; unexpected: boolean } {
  const known = asKadendeError(error);
  const issues = (known as { issues?: ConfigIssue[] }).issues;
  const message = options.forCli ? known.message : (known.apiMessage ?? known.message);
  const { details } = known;
  return {
    status: known.statusCode,
    body: { error: { code: known.code, message, ...(issues ? { issues } : {}), ...(details !== undefined ? { details } : {}) } },
    // A wait that ran out of time (504) is the caller's bound, not a failure of the daemon.
    unexpected: known.statusCode >= 500 && known.statusCode !== 504,
  };
}

/** fastify's 415 names only what was sent: say what the route takes, in the message and in `Accept-Post` (RFC 9110 15.5.16). */
function unsupportedMediaType(request: FastifyRequest, reply: FastifyReply, accepts: readonly string[]): KadendeError {
  void reply.header('accept-post', accepts.join(', '));
  const sent = request.headers['content-type'];
  return kadendeError(
    'KADENDE_ERR_UNSUPPORTED_MEDIA_TYPE',
    `${sent ? `the content type ${JSON.stringify(sent.slice(0, 100))}` : 'a body without a content type'} is not accepted here; send one of: ${accepts.join(', ')}`,
  );
}

/** The error handler of routes whose bodies may be of the `accepts` content types. */
export function errorHandler(accepts: readonly string[]) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const known = asKadendeError(error);
    const answered = known.code === 'KADENDE_ERR_UNSUPPORTED_MEDIA_TYPE' ? unsupportedMediaType(request, reply, accepts) : known;
    const { status, body, unexpected } = toErrorReply(answered, { forCli: request.headers[HINTS_HEADER] === 'cli' });
    if (unexpected) request.log.error({ err: error, url: request.url }, 'request failed');
    void reply.status(status).send(body);
  };
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
