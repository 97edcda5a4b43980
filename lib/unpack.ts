/**
 * Unpacks a plugin tarball (node-tar) into a folder, refusing anything that is
 * not a plain file or folder under one top-level folder: no `..`, absolute
 * paths, symlinks, hard links or devices, and caps on size and file count. The
 * whole tarball is checked before a single byte is written, so a bad tarball
 * leaves nothing to clean up beyond the caller's temporary folder.
 */
import { Parser, Unpack, type ReadEntry } from 'tar';
import { KadendeError, kadendeError } from '../errors/index.js';

export interface UnpackLimits {
  /** Sum of the unpacked file sizes. */
  maxBytes: number;
  maxFiles: number;
}

export const DEFAULT_UNPACK_LIMITS: UnpackLimits = { maxBytes: 256 * 1024 * 1024, maxFiles: 5000 };

const unsafe = (where: string, why: string) =>
  kadendeError('KADENDE_ERR_TARBALL_UNSAFE', `${where}: refused: ${why}`);

/** Why an entry's path is unsafe, or undefined. */
function pathProblem(path: string): string | undefined {
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return `absolute path "${path}"`;
  if (path.includes('\\')) return `backslash in path "${path}"`;
  if (path.split('/').includes('..')) return `".." in path "${path}"`;
  if (path.includes('\0')) return 'NUL in a path';
  return undefined;
}

/** Reads every header and checks it; answers the number of files and bytes. Throws on the first problem. */
export async function inspectTarball(bytes: Uint8Array, where: string, limits: UnpackLimits = DEFAULT_UNPACK_LIMITS): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let total = 0;
  let top: string | undefined;
  let problem: KadendeError | undefined;
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      entry.resume();
      if (problem) return;
      const path = entry.path;
      const why = pathProblem(path);
      const first = path.split('/')[0]!;
      if (why) problem = unsafe(where, why);
      else if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'Directory') problem = unsafe(where, `"${path}" is a ${entry.type}, only regular files and folders are allowed`);
      else if (!path.includes('/') && entry.type !== 'Directory') problem = unsafe(where, `"${path}" is not inside a top-level folder (expected package/...)`);
      else if (top !== undefined && first !== top) problem = unsafe(where, `entries under more than one top-level folder ("${top}", "${first}")`);
      top ??= first;
      if (entry.type !== 'Directory') {
        files += 1;
        total += entry.size ?? 0;
        if (files > limits.maxFiles) problem ??= unsafe(where, `more than ${limits.maxFiles} files`);
        if (total > limits.maxBytes) problem ??= unsafe(where, `more than ${limits.maxBytes} bytes unpacked`);
      }
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('error', (error: Error) => reject(unsafe(where, `not a valid gzip tarball: ${error.message}`)));
    parser.on('end', () => resolve());
    parser.end(Buffer.from(bytes));
  });
  if (problem) throw problem;
  if (files === 0) throw unsafe(where, 'the tarball holds no files');
  return { files, bytes: total };
}

/** Checks, then extracts into `dest` (an empty folder), dropping the top-level folder. */
export async function unpackTarball(bytes: Uint8Array, dest: string, where: string, limits: UnpackLimits = DEFAULT_UNPACK_LIMITS): Promise<void> {
  await inspectTarball(bytes, where, limits);
  const unpack = new Unpack({
    cwd: dest,
    strip: 1,
    strict: true,
    preservePaths: false,
    preserveOwner: false,
    // Re-check on extraction too: never trust that the two passes saw the same thing.
    filter: (path, entry) => {
      const type = (entry as ReadEntry).type;
      return pathProblem(path) === undefined && (type === 'File' || type === 'OldFile' || type === 'Directory');
    },
  });
  await new Promise<void>((resolve, reject) => {
    unpack.on('error', (error: Error) => reject(unsafe(where, `cannot unpack: ${error.message}`)));
    unpack.on('close', () => resolve());
    unpack.end(Buffer.from(bytes));
  });
}
