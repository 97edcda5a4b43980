/**
 * A digest of an unpacked folder: sha512 over each file's relative path and
 * bytes, in sorted path order, so a changed, added or removed file changes it.
 * The cache keeps one beside each version (TREE_DIGEST_FILE) and checks it at
 * every load; the per-file digests say which file changed.
 */
import { createHash } from 'node:crypto';
import { chmod, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const TREE_DIGEST_FILE = '.kadende-tree-digest';

export interface TreeDigest {
  /** `sha512-<base64>` over every file below. */
  digest: string;
  /** Relative path -> `sha512-<base64>` of its bytes. */
  files: Record<string, string>;
}

async function walk(root: string, relative: string, out: string[], skip: Set<string>): Promise<void> {
  for (const entry of await readdir(join(root, relative), { withFileTypes: true })) {
    const path = relative ? `${relative}/${entry.name}` : entry.name;
    if (skip.has(path)) continue;
    if (entry.isDirectory()) await walk(root, path, out, skip);
    else out.push(path);
  }
}

/** The digest of the files below `dir` (or only `only`, relative paths), leaving out `skip`. */
export async function treeDigest(dir: string, options: { only?: string[]; skip?: string[] } = {}): Promise<TreeDigest> {
  const paths: string[] = [];
  if (options.only) paths.push(...options.only);
  else await walk(dir, '', paths, new Set([TREE_DIGEST_FILE, ...(options.skip ?? [])]));
  paths.sort();
  const whole = createHash('sha512');
  const files: Record<string, string> = {};
  for (const path of paths) {
    const bytes = await readFile(join(dir, path));
    files[path] = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    whole.update(`${path}\0${bytes.length}\0`).update(bytes);
  }
  return { digest: `sha512-${whole.digest('base64')}`, files };
}

/** What differs between a recorded digest and the folder now: changed, added and removed paths. */
export function treeChanges(recorded: TreeDigest, now: TreeDigest): string[] {
  const changes: string[] = [];
  for (const [path, digest] of Object.entries(now.files)) {
    if (!(path in recorded.files)) changes.push(`${path} (added)`);
    else if (recorded.files[path] !== digest) changes.push(`${path} (changed)`);
  }
  for (const path of Object.keys(recorded.files)) if (!(path in now.files)) changes.push(`${path} (removed)`);
  return changes.sort();
}

/** Makes a folder and everything below it read-only (`writable: false`) or writable by its owner again. */
export async function setTreeWritable(dir: string, writable: boolean): Promise<void> {
  const info = await stat(dir);
  if (info.isDirectory()) {
    if (writable) await chmod(dir, (info.mode & 0o7777) | 0o200);
    for (const entry of await readdir(dir)) await setTreeWritable(join(dir, entry), writable);
  }
  await chmod(dir, writable ? (info.mode & 0o7777) | 0o200 : info.mode & 0o7555);
}
