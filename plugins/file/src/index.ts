/**
 * The file plugin: each resource is `<directory>/<id>.json` holding
 * `{ id, status, tags, properties }`. A person can delete a file, edit its
 * status, or drop one in, and the controller reacts as it would to a cloud.
 * The id is the create token, which makes create idempotent by construction.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { definePlugin, type Resource, type Tags } from '@kadende/plugin-sdk';

interface FileProperties {
  directory: string;
  status?: 'pending' | 'active';
}

const STATUSES = new Set(['pending', 'active', 'unhealthy', 'terminating', 'terminated']);
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function fileFor(directory: string, id: string): string {
  if (!SAFE_ID.test(id)) {
    throw Object.assign(new Error(`"${id}" is not a valid file resource id (letters, digits, '.', '_', '-')`), {
      code: 'FILE_ERR_BAD_ID',
    });
  }
  return join(resolve(directory), `${id}.json`);
}

/** Reads one resource file; anything that is not a resource (notes, half edits) is skipped. */
async function readResource(path: string): Promise<Resource | undefined> {
  let text: string;
  let mtime: Date;
  try {
    [text, { mtime }] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { id, status, tags, properties } = (data ?? {}) as Record<string, unknown>;
  if (typeof id !== 'string' || !STATUSES.has(status as string) || typeof tags !== 'object' || tags === null) return undefined;
  const stringTags = Object.fromEntries(Object.entries(tags).filter(([, v]) => typeof v === 'string')) as Tags;
  return {
    id,
    status: status as Resource['status'],
    tags: stringTags,
    createdAt: mtime.toISOString(),
    address: path,
    ...(typeof properties === 'object' && properties !== null ? { properties: properties as Record<string, unknown> } : {}),
  };
}

/** Write to a temporary name, then rename: describe never sees half a file. */
async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, content, { flag: 'wx' });
  await rename(temporary, path);
}

export default definePlugin({
  async describe({ tags, properties }) {
    const directory = resolve((properties as unknown as FileProperties).directory);
    let names: string[];
    try {
      names = await readdir(directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { resources: [] };
      throw error;
    }
    const wanted = Object.entries(tags);
    const candidates = await Promise.all(
      names.filter((name) => name.endsWith('.json')).map((name) => readResource(join(directory, name))),
    );
    const resources = candidates.filter(
      (r): r is Resource => r !== undefined && wanted.every(([key, value]) => r.tags[key] === value),
    );
    return { resources };
  },

  async create({ properties, tags, token }) {
    const { directory, status = 'active' } = properties as unknown as FileProperties;
    const path = fileFor(directory, token);
    const existing = await readResource(path);
    if (existing) return existing;
    await mkdir(resolve(directory), { recursive: true });
    await writeAtomically(path, `${JSON.stringify({ id: token, status, tags, properties }, null, 2)}\n`);
    const created = await readResource(path);
    if (!created) throw new Error(`${path} vanished right after it was written`);
    return created;
  },

  async delete({ id, properties }) {
    const { directory } = properties as unknown as FileProperties;
    await rm(fileFor(directory, id), { force: true });
    return {};
  },
});
