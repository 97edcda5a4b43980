/**
 * Bearer-token authentication. The token comes from KADENDE_TOKEN or a token
 * file; without either the daemon makes one and keeps it in
 * `<dataDir>/api-token` (mode 0600), where a CLI on the same host finds it.
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalidInput } from '../errors.js';

export const TOKEN_FILE = 'api-token';

export function readTokenFile(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw invalidInput('KADENDE_ERR_TOKEN_FILE', `cannot read the API token from ${file}: ${(error as Error).message}`);
  }
  if (token.length < 16) throw invalidInput('KADENDE_ERR_TOKEN_FILE', `${file}: an API token has at least 16 characters`);
  return token;
}

/** --token-file, else KADENDE_TOKEN, else `<dataDir>/api-token` if it exists: the token and where it came from. */
function findToken(options: { tokenFile?: string; dataDir: string }, env: NodeJS.ProcessEnv): { token: string; from: string } | undefined {
  if (options.tokenFile) return { token: readTokenFile(options.tokenFile), from: options.tokenFile };
  if (env.KADENDE_TOKEN) return { token: env.KADENDE_TOKEN, from: 'KADENDE_TOKEN' };
  const file = join(options.dataDir, TOKEN_FILE);
  return existsSync(file) ? { token: readTokenFile(file), from: file } : undefined;
}

/** The daemon's token, as findToken finds it; without one, a new `<dataDir>/api-token` is made. */
export function daemonToken(options: { tokenFile?: string; dataDir: string }, env: NodeJS.ProcessEnv = process.env): { token: string; from: string } {
  const found = findToken(options, env);
  if (found) return found;
  const file = join(options.dataDir, TOKEN_FILE);
  // On a first start the data dir does not exist yet (the store makes it later).
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  // 'wx': should another daemon make the file first, fail rather than overwrite the token it serves.
  writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  return { token: readTokenFile(file), from: file };
}

/** The client's token, found the way the daemon finds its own, so a CLI on the daemon's host needs no setup. */
export function clientToken(options: { tokenFile?: string; dataDir: string }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findToken(options, env)?.token;
}

/** Constant-time comparison (of digests, so lengths never leak either). */
export function tokenMatches(expected: string, header: string | undefined): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(expected), digest(match[1]!));
}
