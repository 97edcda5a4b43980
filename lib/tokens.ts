/**
 * Bearer tokens, read and compared the same way by the daemon's API and by a
 * plugin registry: one minimum length, one constant-time comparison.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { kadendeError } from '../errors/index.js';
import { readableByOthers } from './private.js';

/** 16 characters: short enough to type, long enough not to guess (a generated token has 43). */
export const MIN_TOKEN_LENGTH = 16;

/** Where a warning goes: stderr, as `kadende: warning: ...`. */
export type Warn = (message: string) => void;
export const warnOnStderr: Warn = (message) => void process.stderr.write(`kadende: warning: ${message}\n`);

/**
 * A token file's first line, trimmed; refused when shorter than MIN_TOKEN_LENGTH.
 * A file its group or others may read is used, with a warning (as ssh does for keys).
 */
export function readTokenFile(file: string, what = 'a token', warn: Warn = warnOnStderr): string {
  let token: string;
  let mode: number;
  try {
    mode = statSync(file).mode;
    token = readFileSync(file, 'utf8').split('\n')[0]!.trim();
  } catch (error) {
    throw kadendeError('KADENDE_ERR_TOKEN_FILE', `cannot read ${what} from ${file}: ${(error as Error).message}`);
  }
  checkTokenLength(token, file, what);
  if (readableByOthers(mode)) {
    warn(`${file} holds ${what} and has mode ${(mode & 0o777).toString(8).padStart(4, '0')}: other users may read it; run chmod 600 ${file}`);
  }
  return token;
}

/** `from` names where the token came from (a file, an environment variable) for the message. */
export function checkTokenLength(token: string, from: string, what = 'a token'): void {
  if (token.length < MIN_TOKEN_LENGTH) {
    throw kadendeError('KADENDE_ERR_TOKEN_FILE', `${from}: ${what} has at least ${MIN_TOKEN_LENGTH} characters`);
  }
}

/** Constant-time comparison (of digests, so lengths never leak either). */
export function tokenMatches(expected: string, header: string | undefined): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(expected), digest(match[1]!));
}
