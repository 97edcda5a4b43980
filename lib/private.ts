/**
 * Folders and files only their owner reads: the data dir, the store, the
 * plugin cache and token files (issue 16). A folder is made 0700 (and an
 * existing one narrowed to 0700) before anything is written into it, so files
 * a library creates with the process umask (LevelDB's) are unreachable to
 * other users whatever their own mode.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Makes `dir` (and any missing parent) 0700; narrows an existing `dir` to 0700. Answers `dir`. */
export function makePrivateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  narrow(dir, PRIVATE_DIR_MODE);
  return dir;
}

/** makePrivateDir, then every file directly in `dir` narrowed to 0600 (a store made before this rule). */
export function makePrivateDirAndFiles(dir: string): string {
  makePrivateDir(dir);
  for (const child of readdirSync(dir)) {
    const path = join(dir, child);
    const info = lstatSync(path, { throwIfNoEntry: false });
    if (info?.isFile()) narrow(path, PRIVATE_FILE_MODE);
    else if (info?.isDirectory()) narrow(path, PRIVATE_DIR_MODE);
  }
  return dir;
}

/** Whether a file's mode lets its group or others read or write it. */
export const readableByOthers = (mode: number): boolean => (mode & 0o077) !== 0;

/** chmod down to `mode`, only ever removing permissions; a file owned by someone else is left as it is. */
function narrow(path: string, mode: number): void {
  // A file may go between the listing and the chmod (LevelDB removes compacted tables of an open store): nothing to narrow then.
  const info = lstatSync(path, { throwIfNoEntry: false });
  if (!info || (info.mode & 0o777 & ~mode) === 0) return;
  if (typeof process.getuid === 'function' && info.uid !== process.getuid()) return;
  try {
    chmodSync(path, info.mode & 0o777 & mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
