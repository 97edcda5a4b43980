/** Reads the configuration `apply -f` and `plan -f` take: a file, or stdin for `-`. */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { kadendeError } from '../../errors/index.js';

export async function readConfig(file: string): Promise<string> {
  try {
    return file === '-' ? await readFile('/dev/stdin', 'utf8') : await readFile(file, 'utf8');
  } catch (error) {
    throw kadendeError('KADENDE_ERR_CONFIG_READ', file, (error as Error).message);
  }
}

/** The folder relative paths in the configuration mean: the file's, or the shell's for stdin. */
export function configBaseDir(file: string): string {
  return file === '-' ? process.cwd() : dirname(resolve(file));
}
