/**
 * Bearer-token authentication. The token comes from KADENDE_TOKEN or a token
 * file; without either the daemon makes one and keeps it in
 * `<dataDir>/api-token` (mode 0600), where a CLI on the same host finds it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkTokenLength, readTokenFile as readToken, makePrivateDir } from '../../lib/index.js';

export const TOKEN_FILE = 'api-token';

export const readTokenFile = (file: string): string => readToken(file, 'the API token');

/** --token-file, else KADENDE_TOKEN, else `<dataDir>/api-token` if it exists: the token and where it came from. */
function findToken(options: { tokenFile?: string; dataDir: string }, env: NodeJS.ProcessEnv): { token: string; from: string } | undefined {
  if (options.tokenFile) return { token: readTokenFile(options.tokenFile), from: options.tokenFile };
  if (env.KADENDE_TOKEN) {
    checkTokenLength(env.KADENDE_TOKEN, 'KADENDE_TOKEN', 'the API token');
    return { token: env.KADENDE_TOKEN, from: 'KADENDE_TOKEN' };
  }
  const file = join(options.dataDir, TOKEN_FILE);
  return existsSync(file) ? { token: readTokenFile(file), from: file } : undefined;
}

/** The daemon's token, as findToken finds it; without one, a new `<dataDir>/api-token` is made. */
export function daemonToken(options: { tokenFile?: string; dataDir: string }, env: NodeJS.ProcessEnv = process.env): { token: string; from: string } {
  const found = findToken(options, env);
  if (found) return found;
  const file = join(options.dataDir, TOKEN_FILE);
  // On a first start the data dir does not exist yet (the store makes it later).
  makePrivateDir(options.dataDir);
  // 'wx': should another daemon make the file first, fail rather than overwrite the token it serves.
  writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  return { token: readTokenFile(file), from: file };
}

/** The client's token, found the way the daemon finds its own, so a CLI on the daemon's host needs no setup. */
export function clientToken(options: { tokenFile?: string; dataDir: string }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findToken(options, env)?.token;
}
