/** Reads a plugin folder: its package.json `kadende` manifest, checked against the contract. */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_LIMITS, validateManifest, type PluginLimits, type PluginManifest } from '@kadende/plugin-sdk';
import { kadendeError } from '../../errors/index.js';

export interface PluginFolder {
  dir: string;
  manifest: PluginManifest;
  limits: PluginLimits;
  /** file:// URL of the module the workers import. */
  entry: string;
}

export async function readPluginFolder(dir: string): Promise<PluginFolder> {
  const folder = resolve(dir);
  const packageFile = join(folder, 'package.json');
  let pkg: { kadende?: unknown };
  try {
    pkg = JSON.parse(await readFile(packageFile, 'utf8')) as { kadende?: unknown };
  } catch (error) {
    throw kadendeError('KADENDE_ERR_PLUGIN_MANIFEST', `${packageFile}: cannot read the plugin's package.json: ${(error as Error).message}`).with({ cause: error });
  }
  if (pkg.kadende === undefined) {
    throw kadendeError('KADENDE_ERR_PLUGIN_MANIFEST', `${packageFile}: no "kadende" field: this is not a Kadende plugin`);
  }
  const { manifest, problems } = validateManifest(pkg.kadende);
  if (!manifest) {
    throw kadendeError('KADENDE_ERR_PLUGIN_MANIFEST', `${packageFile}: invalid plugin manifest:\n  ${problems.join('\n  ')}`).with({ details: problems });
  }
  const main = resolve(folder, manifest.main);
  if (!main.startsWith(folder + '/') || !statSync(main, { throwIfNoEntry: false })?.isFile()) {
    throw kadendeError('KADENDE_ERR_PLUGIN_MANIFEST', `${packageFile}: kadende.main "${manifest.main}" is not a file inside the plugin folder`);
  }
  return { dir: folder, manifest, limits: { ...DEFAULT_LIMITS, ...manifest.limits }, entry: pathToFileURL(main).href };
}
