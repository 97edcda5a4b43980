/** Reads the configuration `apply -f` and `plan -f` take: a file, or stdin for `-`. */
import { readFile } from 'node:fs/promises';
import { invalidInput } from '../errors.js';

export async function readConfig(file: string): Promise<string> {
  try {
    return file === '-' ? await readFile('/dev/stdin', 'utf8') : await readFile(file, 'utf8');
  } catch (error) {
    throw invalidInput('KADENDE_ERR_CONFIG_READ', `cannot read ${file}: ${(error as Error).message}`);
  }
}
