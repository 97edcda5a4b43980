/** Where Kadende's own files are, whether it runs from source (tsx, vitest) or from the built dist/. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the folder holding package.json, host/ and plugins/. */
export const PROJECT_ROOT = join(fileURLToPath(new URL('.', import.meta.url)), fileURLToPath(import.meta.url).includes('/dist/host/') ? '../..' : '..');
