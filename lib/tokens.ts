/**
 * Bearer tokens, read and compared the same way by the daemon's API and by a
 * plugin registry: one minimum length, one constant-time comparison.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { kadendeError } from '../errors/index.js';

/** 16 characters: short enough to type, long enough not to guess (a generated token has 43). */
export const MIN_TOKEN_LENGTH = 16;

/** A token file's first line, trimmed; refused when shorter than MIN_TOKEN_LENGTH. */
export function readTokenFile(file: string, what = 'a token'): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').split('\n')[0]!.trim();
  } catch (error) {
    throw kadendeError('KADENDE_ERR_TOKEN_FILE', `cannot read ${what} from ${file}: ${(error as Error).message}`);
  }
  checkTokenLength(token, file, what);
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
