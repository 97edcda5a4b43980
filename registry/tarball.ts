/**
 * Reads the manifest out of a plugin tarball in memory, in the one pass that
 * checks the tarball is safe to unpack, and runs the checks an install runs
 * (host/plugins/manifest.ts readPluginFolder): a registry accepts no tarball
 * that no client could install.
 */
import { posix } from 'node:path';
import { validateManifest, type PluginManifest } from '@kadende/plugin-sdk';
import { scanTarball, type UnpackLimits } from '../lib/index.js';
import { kadendeError } from '../errors/index.js';

/** A package.json larger than this is not a plugin's. */
const MAX_PACKAGE_JSON_BYTES = 1024 * 1024;

export async function readTarballManifest(bytes: Uint8Array, where: string, limits?: UnpackLimits): Promise<PluginManifest> {
  const invalid = (why: string, details?: unknown) => kadendeError('KADENDE_ERR_PLUGIN_MANIFEST', `${where}: ${why}`).with({ details });
  let text: string | undefined;
  // The top-level folder is whatever the tarball uses (`package/` when Kadende packed it).
  const { paths } = await scanTarball(bytes, where, limits, async (entry, body) => {
    if (entry.path !== 'package.json' || entry.type !== 'File') return;
    if (entry.size > MAX_PACKAGE_JSON_BYTES) throw invalid(`package.json is larger than ${MAX_PACKAGE_JSON_BYTES} bytes`);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk);
    text = Buffer.concat(chunks).toString('utf8');
  });
  if (text === undefined) throw invalid('no package.json in the tarball');
  let pkg: { kadende?: unknown };
  try {
    pkg = JSON.parse(text) as { kadende?: unknown };
  } catch (error) {
    throw invalid(`package.json is not JSON: ${(error as Error).message}`);
  }
  if (pkg?.kadende === undefined) throw invalid('package.json has no "kadende" field: this is not a Kadende plugin');
  const { manifest, problems } = validateManifest(pkg.kadende);
  if (!manifest) throw invalid(`invalid plugin manifest:\n  ${problems.join('\n  ')}`, problems);
  const main = posix.normalize(manifest.main);
  if (posix.isAbsolute(manifest.main) || main === '..' || main.startsWith('../') || !paths.has(main)) {
    throw invalid(`kadende.main "${manifest.main}" is not a file inside the plugin folder`);
  }
  return manifest;
}
