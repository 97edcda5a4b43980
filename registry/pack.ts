/**
 * `kadende plugin pack`: a plugin folder -> `<name>-<version>.tgz` that runs
 * where it is unpacked, byte for byte reproducible.
 *
 * What goes in: package.json, README/LICENSE, and the package's `files` (npm's
 * rules: paths or globs, a folder means everything under it, `!` excludes), or
 * without a `files` list everything; never node_modules, dotfiles, lockfiles,
 * tests or earlier tarballs.
 *
 * The main runs in a worker that has no node_modules: it is bundled with its
 * imports into one ES module (esbuild, as the built-in plugins are). A main that
 * imports nothing but Node's built-ins ships as it is. An import that cannot be
 * resolved (a dependency not installed, a file outside the folder that is
 * missing) or bundled (a native addon) is refused, naming the import.
 *
 * Reproducible: node-tar's `portable` drops owner, times other than mtime and
 * the gzip header's OS byte and normalises modes; `mtime` is fixed; the file
 * list is sorted and every entry sits under `package/`; only files go in (no
 * folder entries). esbuild's output depends only on the sources, with paths
 * relative to the plugin folder.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build, type BuildFailure, type Message } from 'esbuild';
import { create } from 'tar';
import { validateManifest, type PluginManifest } from '@kadende/plugin-sdk';
import { integrityOf } from '../lib/index.js';
import { kadendeError } from '../errors/index.js';

/** npm's fixed pack time, chosen so that zip-based tools never see a time before 1980. */
const FIXED_MTIME = new Date('1985-10-26T08:15:00.000Z');
const SKIPPED_FOLDERS = new Set(['node_modules', 'test', 'tests', '__tests__', 'coverage']);
const LOCKFILES = new Set(['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb', 'bun.lock']);
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/;

/**
 * CommonJS dependencies bundled into an ES module still expect `require`,
 * `__filename` and `__dirname`: defined once at the top of the bundle, from its
 * own URL. The built-ins' bundler (scripts/plugin-bundle.mjs) uses it too.
 */
export const BANNER = [
  "import { createRequire as __kadendeCreateRequire } from 'node:module';",
  "import { fileURLToPath as __kadendeFileURLToPath } from 'node:url';",
  "import { dirname as __kadendeDirname } from 'node:path';",
  'const require = __kadendeCreateRequire(import.meta.url);',
  'const __filename = __kadendeFileURLToPath(import.meta.url);',
  'const __dirname = __kadendeDirname(__filename);',
].join('\n');

export interface PackResult {
  bytes: Buffer;
  manifest: PluginManifest;
  integrity: string;
  /** What is in the tarball, sorted, relative to `package/`. */
  files: string[];
  fileName: string;
  /** The files bundled into the main (relative to the plugin folder), or empty when it shipped as written. */
  bundled: string[];
}

const refuse = (dir: string, why: string, details?: unknown) =>
  kadendeError('KADENDE_ERR_PLUGIN_MANIFEST', `cannot pack ${dir}: ${why}`).with({ details });

interface PluginPackage {
  kadende?: unknown;
  files?: unknown;
}

export async function readPluginPackage(dir: string): Promise<{ pkg: PluginPackage; manifest: PluginManifest }> {
  let pkg: PluginPackage;
  try {
    pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as PluginPackage;
  } catch (error) {
    throw refuse(dir, `cannot read package.json: ${(error as Error).message}`);
  }
  if (pkg.kadende === undefined) throw refuse(dir, 'package.json has no "kadende" field: this is not a Kadende plugin');
  const { manifest, problems } = validateManifest(pkg.kadende);
  if (!manifest) throw refuse(dir, `invalid plugin manifest:\n  ${problems.join('\n  ')}`, problems);
  return { pkg, manifest };
}

export async function packPlugin(dirArg: string): Promise<PackResult> {
  const dir = resolve(dirArg);
  const { pkg, manifest } = await readPluginPackage(dir);
  const main = relative(dir, resolve(dir, manifest.main)).split(sep).join('/');
  const files = await selectFiles(dir, pkg.files, main);
  if (!files.includes(main)) throw refuse(dir, `kadende.main "${manifest.main}" is not a file in the package (build the plugin first, or add it to "files")`);
  const bundle = await bundleMain(dir, main);
  const bytes = await tarball(dir, files, bundle.bundled.length > 0 ? new Map([[main, bundle.code]]) : new Map());
  return { bytes, manifest, integrity: integrityOf(bytes), files, fileName: `${manifest.name}-${manifest.version}.tgz`, bundled: bundle.bundled };
}

/** A package tarball of a folder's files as its `files` list selects them (the SDK's, for `kadende plugin sdk`). */
export async function packFiles(dirArg: string, listed: unknown): Promise<{ bytes: Buffer; integrity: string; files: string[] }> {
  const dir = resolve(dirArg);
  const files = await selectFiles(dir, listed, 'package.json');
  const bytes = await tarball(dir, files, new Map());
  return { bytes, integrity: integrityOf(bytes), files };
}

/** The reproducible gzip tarball of these files under `package/`, some of them with other contents. */
async function tarball(dir: string, files: string[], replaced: Map<string, Buffer>): Promise<Buffer> {
  const staging = await mkdtemp(join(tmpdir(), 'kadende-pack-'));
  try {
    for (const file of files) {
      await mkdir(dirname(join(staging, file)), { recursive: true });
      const contents = replaced.get(file);
      if (contents) await writeFile(join(staging, file), contents, { mode: 0o644 });
      else await copyFile(join(dir, file), join(staging, file));
    }
    const stream = create({ cwd: staging, gzip: { level: 9 }, portable: true, mtime: FIXED_MTIME, prefix: 'package/', noDirRecurse: true, strict: true }, files);
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** esbuild's refusal as one line per problem: `src/index.ts:3:22: Could not resolve "left-pad"`. */
function describeFailure(failure: BuildFailure): { imports: string[]; lines: string[] } {
  const errors: Message[] = failure.errors ?? [];
  const imports = errors.flatMap((e) => /Could not resolve "([^"]+)"/.exec(e.text)?.[1] ?? []);
  const lines = errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ` : ''}${e.text}`);
  return { imports, lines };
}

/**
 * Bundles an entry module of a plugin folder with everything it imports, into
 * one ES module. Answers the code and the files that went into it (none but
 * the entry itself means there was nothing to bundle).
 */
export async function bundleEntry(dir: string, entry: string, options: { refuseAs?: string } = {}): Promise<{ code: Buffer; inputs: string[] }> {
  try {
    const result = await build({
      entryPoints: [entry],
      absWorkingDir: dir,
      bundle: true,
      write: false,
      metafile: true,
      outfile: 'bundle.js',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      banner: { js: BANNER },
      legalComments: 'none',
      logLevel: 'silent',
    });
    return { code: Buffer.from(result.outputFiles[0]!.contents), inputs: Object.keys(result.metafile.inputs).sort() };
  } catch (error) {
    if (!(error as BuildFailure).errors) throw error;
    const { imports, lines } = describeFailure(error as BuildFailure);
    const what = options.refuseAs ?? `cannot pack ${dir}`;
    const hint = imports.length
      ? `: ${entry} imports ${imports.map((i) => `"${i}"`).join(', ')}, which the plugin does not ship and which cannot be bundled from here (install it with npm, or remove the import)`
      : '';
    throw kadendeError('KADENDE_ERR_PLUGIN_IMPORT', `${what}${hint}\n  ${lines.join('\n  ')}`).with({ details: { imports, errors: lines } });
  }
}

async function bundleMain(dir: string, main: string): Promise<{ code: Buffer; bundled: string[] }> {
  const { code, inputs } = await bundleEntry(dir, main);
  // Nothing but the main itself (and Node's built-ins): it runs as written.
  if (inputs.length <= 1) return { code, bundled: [] };
  return { code, bundled: inputs };
}

/** A glob of npm's `files` as a regular expression over slash-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches any number of folders, a trailing `**` anything.
        if (glob[i + 2] === '/') {
          out += '(?:[^/]+/)*';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') out += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) out += '\\{';
      else {
        out += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map((alt) => alt.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
          .join('|')})`;
        i = end;
      }
    } else if (c === '[') {
      const end = glob.indexOf(']', i);
      if (end < 0) out += '\\[';
      else {
        out += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Never packed, with or without a `files` list: dotfiles, node_modules, tests, lockfiles, tarballs at the top. */
function alwaysSkipped(path: string): boolean {
  const parts = path.split('/');
  const name = parts[parts.length - 1]!;
  if (parts.some((p) => p.startsWith('.'))) return true;
  if (parts.slice(0, -1).some((p) => SKIPPED_FOLDERS.has(p)) || SKIPPED_FOLDERS.has(name)) return true;
  if (TEST_FILE.test(name)) return true;
  if (parts.length === 1 && (LOCKFILES.has(name) || name.endsWith('.tgz'))) return true;
  return false;
}

async function walk(dir: string, relativePath = ''): Promise<string[]> {
  const found: string[] = [];
  for (const child of (await readdir(join(dir, relativePath))).sort()) {
    const path = relativePath ? `${relativePath}/${child}` : child;
    if (alwaysSkipped(path)) continue;
    const info = await stat(join(dir, path));
    if (info.isDirectory()) found.push(...(await walk(dir, path)));
    else if (info.isFile()) found.push(path);
  }
  return found;
}

/**
 * The files to pack, sorted. With a `files` list: package.json, README and
 * LICENSE, the main, and every file an entry matches (an entry naming a folder
 * takes what is under it; `!entry` takes files out again). Without one:
 * everything. Either way never what alwaysSkipped says.
 */
async function selectFiles(dir: string, listed: unknown, main: string): Promise<string[]> {
  const all = await walk(dir);
  const always = (path: string) => path === 'package.json' || path === main || /^(readme|license|licence|changelog)(\..*)?$/i.test(path);
  if (!Array.isArray(listed)) return all;
  const include: RegExp[] = [];
  const exclude: RegExp[] = [];
  for (const entry of listed) {
    if (typeof entry !== 'string' || entry.trim() === '') continue;
    const negated = entry.startsWith('!');
    const clean = (negated ? entry.slice(1) : entry).replace(/^\.\//, '').replace(/^\/+/, '').replace(/\/+$/, '');
    if (clean.split('/').includes('..')) throw refuse(dir, `"files" entry "${entry}" is outside the plugin folder`);
    const pattern = globToRegExp(clean);
    (negated ? exclude : include).push(pattern);
  }
  // A path matches an entry when the entry names it or one of the folders above it.
  const matches = (patterns: RegExp[], path: string) => {
    const parts = path.split('/');
    return parts.some((_, i) => patterns.some((p) => p.test(parts.slice(0, i + 1).join('/'))));
  };
  return all.filter((path) => always(path) || (matches(include, path) && !matches(exclude, path)));
}
