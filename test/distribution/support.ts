/** Shared by the plugin distribution tests: a real registry on a free port, fixture plugins, raw tarballs, cache snapshots. */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { createRegistryServer } from '../../registry/server.js';

export const FIXTURE = new URL('../fixtures/distribution/echo', import.meta.url).pathname;
export const TOKEN = 'test-token-0123456789';

export { CLI, kadende, tempDir, type CliResult } from '../support/cli.js';

/** A copy of the echo fixture plugin with another version (and optionally other manifest fields). */
export function echoPlugin(parent: string, version: string, patch: Record<string, unknown> = {}): string {
  const dir = join(parent, `echo-src-${version}-${Math.random().toString(36).slice(2, 8)}`);
  cpSync(FIXTURE, dir, { recursive: true });
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  pkg.kadende = { ...pkg.kadende, version, ...patch };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  return dir;
}

export async function startRegistry(dir: string, token: string | undefined = TOKEN) {
  const app = await createRegistryServer({ dir, token });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

export interface RawEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link';
  body?: string | Buffer;
  linkpath?: string;
  size?: number;
}

/** A gzip tarball built header by header, so tests can make ones no well-behaved packer would. */
export function rawTarball(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.body === undefined ? Buffer.alloc(0) : Buffer.from(entry.body);
    const type = entry.type ?? 'File';
    const header = new Header({ path: entry.path, type, size: entry.size ?? (type === 'File' ? body.length : 0), mode: type === 'Directory' ? 0o755 : 0o644, mtime: new Date(0), linkpath: entry.linkpath });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block);
    if (type === 'File' && body.length > 0) {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** The echo plugin's files as raw entries, with optional extras: a valid plugin unless the extras spoil it. */
export function echoEntries(version = '1.0.0', manifestPatch: Record<string, unknown> = {}): RawEntry[] {
  const pkg = JSON.parse(readFileSync(join(FIXTURE, 'package.json'), 'utf8'));
  pkg.kadende = { ...pkg.kadende, version, ...manifestPatch };
  return [
    { path: 'package/package.json', body: JSON.stringify(pkg) },
    { path: 'package/plugin.js', body: readFileSync(join(FIXTURE, 'plugin.js')) },
  ];
}

/**
 * Every path in the cache with a digest of each file. The staging folder
 * `.tmp` must be empty (no leftovers) and is otherwise left out, since it may
 * or may not exist.
 */
export function cacheSnapshot(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (path: string, rel: string) => {
    for (const name of readdirSync(path).sort()) {
      const full = join(path, name);
      const relative = rel ? `${rel}/${name}` : name;
      if (relative === '.tmp') {
        const left = readdirSync(full);
        if (left.length > 0) out.push(`.tmp not empty: ${left.join(',')}`);
        continue;
      }
      if (statSync(full).isDirectory()) {
        out.push(`${relative}/`);
        walk(full, relative);
      } else {
        // installedAt differs between installs; everything else must not.
        out.push(`${relative} ${createHash('sha256').update(readFileSync(full)).digest('hex').slice(0, 16)}`);
      }
    }
  };
  walk(dir, '');
  return out;
}

