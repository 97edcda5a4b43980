/**
 * `kadende plugin pack`: a plugin folder -> `<name>-<version>.tgz`, byte for
 * byte reproducible. node-tar's `portable` drops owner, times other than mtime
 * and the gzip header's OS byte and normalises modes; `mtime` is fixed; the
 * file list is sorted and every entry sits under `package/`. Only files go in
 * (no folder entries), so what the filesystem reports about folders never
 * leaks into the bytes.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { create } from 'tar';
import { validateManifest, type PluginManifest } from '@kadende/plugin-sdk';
import { integrityOf } from '../lib/index.js';
import { kadendeError } from '../errors/index.js';

/** npm's fixed pack time, chosen so that zip-based tools never see a time before 1980. */
const FIXED_MTIME = new Date('1985-10-26T08:15:00.000Z');
const ALWAYS_SKIPPED = new Set(['node_modules', '.git', '.DS_Store']);

export interface PackResult {
  bytes: Buffer;
  manifest: PluginManifest;
  integrity: string;
  files: string[];
  fileName: string;
}

const refuse = (dir: string, why: string, details?: unknown) =>
  kadendeError('KADENDE_ERR_PLUGIN_MANIFEST', `cannot pack ${dir}: ${why}`).with({ details });

export async function packPlugin(dirArg: string): Promise<PackResult> {
  const dir = resolve(dirArg);
  const packageFile = join(dir, 'package.json');
  let pkg: { kadende?: unknown; files?: unknown };
  try {
    pkg = JSON.parse(await readFile(packageFile, 'utf8')) as typeof pkg;
  } catch (error) {
    throw refuse(dir, `cannot read package.json: ${(error as Error).message}`);
  }
  if (pkg.kadende === undefined) throw refuse(dir, 'package.json has no "kadende" field: this is not a Kadende plugin');
  const { manifest, problems } = validateManifest(pkg.kadende);
  if (!manifest) throw refuse(dir, `invalid plugin manifest:\n  ${problems.join('\n  ')}`, problems);
  const files = await selectFiles(dir, pkg.files);
  const main = relative(dir, resolve(dir, manifest.main)).split(sep).join('/');
  if (!files.includes(main)) throw refuse(dir, `kadende.main "${manifest.main}" is not a file in the package (build the plugin first, or add it to "files")`);
  const stream = create({ cwd: dir, gzip: { level: 9 }, portable: true, mtime: FIXED_MTIME, prefix: 'package/', noDirRecurse: true, strict: true }, files);
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  return { bytes, manifest, integrity: integrityOf(bytes), files, fileName: `${manifest.name}-${manifest.version}.tgz` };
}

/**
 * The files to pack, sorted: with a `files` list (paths of files or folders,
 * as npm's without globs), those plus package.json; else everything except
 * node_modules, .git and earlier tarballs.
 */
async function selectFiles(dir: string, listed: unknown): Promise<string[]> {
  const found = new Set<string>(['package.json']);
  const walk = async (relativePath: string): Promise<void> => {
    const absolute = join(dir, relativePath);
    const info = await stat(absolute);
    if (info.isDirectory()) {
      for (const child of await readdir(absolute)) {
        if (!ALWAYS_SKIPPED.has(child)) await walk(relativePath ? `${relativePath}/${child}` : child);
      }
    } else if (info.isFile() && !(relativePath.endsWith('.tgz') && !relativePath.includes('/'))) {
      found.add(relativePath);
    }
  };
  if (Array.isArray(listed)) {
    for (const entry of listed) {
      if (typeof entry !== 'string') continue;
      if (/[*?[\]{}]/.test(entry)) throw refuse(dir, `"files" entry "${entry}": globs are not supported, list files or folders`);
      const clean = entry.replace(/^\.\//, '').replace(/\/+$/, '');
      const absolute = resolve(dir, clean);
      if (!absolute.startsWith(dir + sep)) throw refuse(dir, `"files" entry "${entry}" is outside the plugin folder`);
      if (existsSync(absolute)) await walk(relative(dir, absolute).split(sep).join('/'));
    }
    for (const extra of await readdir(dir)) if (/^(readme|license|licence)(\..*)?$/i.test(extra)) found.add(extra);
  } else {
    await walk('');
  }
  return [...found].sort();
}
