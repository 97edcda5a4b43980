/** Reads the manifest out of a plugin tarball in memory, after checking the tarball is safe to unpack. */
import { Parser, type ReadEntry } from 'tar';
import { validateManifest, type PluginManifest } from '@kadende/plugin-sdk';
import { inspectTarball, type UnpackLimits } from '../lib/index.js';
import { kadendeError } from '../errors/index.js';

export async function readTarballManifest(bytes: Uint8Array, where: string, limits?: UnpackLimits): Promise<PluginManifest> {
  await inspectTarball(bytes, where, limits);
  let text: string | undefined;
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      // The top-level folder is whatever the tarball uses (`package/` when Kadende packed it).
      if (/^[^/]+\/package\.json$/.test(entry.path) && entry.type === 'File') {
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => (text = Buffer.concat(chunks).toString('utf8')));
      } else entry.resume();
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('error', reject);
    parser.on('end', () => resolve());
    parser.end(Buffer.from(bytes));
  });
  const invalid = (why: string, details?: unknown) => kadendeError('KADENDE_ERR_PLUGIN_MANIFEST', `${where}: ${why}`).with({ details });
  if (text === undefined) throw invalid('no package.json in the tarball');
  let pkg: { kadende?: unknown };
  try {
    pkg = JSON.parse(text) as { kadende?: unknown };
  } catch (error) {
    throw invalid(`package.json is not JSON: ${(error as Error).message}`);
  }
  if (pkg.kadende === undefined) throw invalid('package.json has no "kadende" field: this is not a Kadende plugin');
  const { manifest, problems } = validateManifest(pkg.kadende);
  if (!manifest) throw invalid(`invalid plugin manifest:\n  ${problems.join('\n  ')}`, problems);
  return manifest;
}
