/**
 * The catalogue and docs/ERRORS.md say the same thing, as fastify's
 * test/internals/errors.test.js checks its own: every code documented once,
 * with the status and exit code the catalogue gives it, and no code raised
 * anywhere that the catalogue does not hold.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLUGIN_MODULE_ERROR } from '@kadende/plugin-sdk';
import { CATALOGUE, kadendeError, remoteError, type ErrorCode } from './index.js';

const root = join(import.meta.dirname, '..');
const docs = readFileSync(join(root, 'docs/ERRORS.md'), 'utf8');
const documented = [...docs.matchAll(/^### (KADENDE_ERR_[A-Z_]+)\n\nHTTP (\d{3}), exit ([12])\./gm)].map((m) => ({ code: m[1]!, status: Number(m[2]), exit: Number(m[3]) }));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|js|mjs)$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

describe('the error catalogue', () => {
  it('documents every code once, with its status and exit code, and nothing else', () => {
    const codes = Object.keys(CATALOGUE).sort();
    expect(documented.map((d) => d.code).sort()).toEqual(codes);
    for (const { code, status, exit } of documented) {
      expect({ code, status, exit }).toEqual({ code, status: CATALOGUE[code as ErrorCode].status, exit: CATALOGUE[code as ErrorCode].exit });
    }
  });

  it('holds every KADENDE_ERR_* code the host, the registry, the libraries and the SDK name', () => {
    const named = new Set<string>();
    for (const folder of ['host', 'registry', 'lib', 'errors', 'model', 'plugin-sdk/src', 'plugins']) {
      for (const file of sources(join(root, folder))) {
        for (const m of readFileSync(file, 'utf8').matchAll(/KADENDE_ERR_[A-Z_]*[A-Z](?![A-Z_]*\$)/g)) named.add(m[0]);
      }
    }
    expect([...named].filter((code) => !(code in CATALOGUE))).toEqual([]);
    expect(PLUGIN_MODULE_ERROR in CATALOGUE).toBe(true);
  });

  it('builds errors from the templates, with the status and exit code of their code', () => {
    const error = kadendeError('KADENDE_ERR_CLUSTER_NAME_TAKEN', 'c.yaml', 'shop', 'abc', 'def');
    expect(error).toMatchObject({ code: 'KADENDE_ERR_CLUSTER_NAME_TAKEN', statusCode: 409, exitCode: 2 });
    expect(error.message).toBe('c.yaml: cluster name "shop" is already used by cluster abc, not def');
    const cause = new Error('low level');
    expect(kadendeError('KADENDE_ERR_STORE_OPEN', '/d', 'denied').with({ cause }).cause).toBe(cause);
  });

  it('keeps an unknown remote code in the message rather than inventing a meaning for it', () => {
    expect(remoteError('KADENDE_ERR_CLUSTER_NOT_FOUND', 'no cluster', 404)).toMatchObject({ code: 'KADENDE_ERR_CLUSTER_NOT_FOUND', exitCode: 1, statusCode: 404 });
    expect(remoteError('KADENDE_ERR_FROM_THE_FUTURE', 'new', 418)).toMatchObject({ code: 'KADENDE_ERR_SERVER', message: 'new [KADENDE_ERR_FROM_THE_FUTURE]', statusCode: 418 });
  });
});
