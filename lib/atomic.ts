/** Atomic file replacement: write a sibling temporary file, then rename over the target (atomic on POSIX). */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/** `mode`: the new file's (the temporary file is made with it, so the content is never readable more widely). */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { flush: true, ...(mode !== undefined ? { mode } : {}) });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
