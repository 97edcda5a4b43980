/**
 * The plugin cache: `<cacheDir>/<name>/<version>/` holds one unpacked, verified
 * plugin plus `.kadende-cache.json` (its tarball's integrity, where it came
 * from, its signature). A version is unpacked into `<cacheDir>/.tmp/`, checked,
 * then renamed into place in one step, so a reader never sees half a plugin,
 * a failed install leaves nothing, and of several processes installing the same
 * version one rename wins and the others keep its copy (after checking it has
 * the same digest). A cached version is never overwritten.
 *
 * Tamper-evidence: install records a digest of the unpacked tree beside it
 * (`.kadende-tree-digest`, lib/tree-digest.ts) and makes the folder read-only;
 * `get` re-checks the tree against it and refuses a version whose files changed,
 * naming them (KADENDE_ERR_PLUGIN_INTEGRITY).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readPluginFolder, type PluginFolder } from './manifest.js';
import { unpackTarball, DEFAULT_UNPACK_LIMITS, type UnpackLimits, integrityOf, treeDigest, treeChanges, setTreeWritable, TREE_DIGEST_FILE, type TreeDigest, makePrivateDir, PLUGIN_CACHE_META } from '../../lib/index.js';
import { KadendeError, kadendeError } from '../../errors/index.js';

export const CACHE_META = PLUGIN_CACHE_META;
/**
 * The cache's own files (url-digests.json) live under `<cacheDir>/_kadende/`:
 * a plugin name never starts with `_` (the manifest's pattern), so no plugin's
 * folder can take their place. (`.tmp` is safe for the same reason.)
 */
export const CACHE_OWN_DIR = '_kadende';
/** Temporary folders older than this were left by a process that died mid-install. */
const STALE_TMP_MS = 60 * 60 * 1000;

export interface CacheMeta {
  name: string;
  version: string;
  integrity: string;
  source: 'registry' | 'url' | 'builtin';
  /** Where the tarball came from. */
  url?: string;
  signature?: string;
  installedAt: string;
}

export interface CachedPlugin {
  folder: PluginFolder;
  meta: CacheMeta;
}

export interface InstallRequest {
  /** When known beforehand (a registry document), the manifest must agree. */
  name?: string;
  version?: string;
  source: CacheMeta['source'];
  url?: string;
  signature?: string;
  /** For messages: `echo@1.0.0 from http://...`. */
  where: string;
}

export class PluginCache {
  constructor(
    readonly dir: string,
    readonly limits: UnpackLimits = DEFAULT_UNPACK_LIMITS,
  ) {}

  /** A file of the cache's own, in a folder no plugin name can have. */
  ownFile(file: string): string {
    return join(this.dir, CACHE_OWN_DIR, file);
  }

  folderOf(name: string, version: string): string {
    return join(this.dir, name, version);
  }

  /** A cached version, or undefined. */
  async get(name: string, version: string): Promise<CachedPlugin | undefined> {
    const dir = this.folderOf(name, version);
    let meta: CacheMeta;
    try {
      meta = JSON.parse(await readFile(join(dir, CACHE_META), 'utf8')) as CacheMeta;
    } catch {
      return undefined;
    }
    await this.verifyTree(dir, `${meta.name}@${meta.version}`);
    return { folder: await readPluginFolder(dir), meta };
  }

  /** Refuses a cached version whose files are not the ones installed. */
  private async verifyTree(dir: string, what: string): Promise<void> {
    let recorded: TreeDigest;
    try {
      recorded = JSON.parse(await readFile(join(dir, TREE_DIGEST_FILE), 'utf8')) as TreeDigest;
    } catch {
      throw kadendeError('KADENDE_ERR_PLUGIN_INTEGRITY', `plugin ${what}: the cached copy in ${dir} has no readable ${TREE_DIGEST_FILE}, so its files cannot be checked; remove it (kadende plugin prune, or delete the folder) and it is fetched and verified again`);
    }
    const now = await treeDigest(dir, { skip: [CACHE_META] });
    if (now.digest === recorded.digest) return;
    const changes = treeChanges(recorded, now);
    throw kadendeError('KADENDE_ERR_PLUGIN_INTEGRITY', `plugin ${what}: the cached copy in ${dir} no longer matches what was installed: ${changes.join(', ') || 'its tree digest differs'}; it is not loaded. Remove it and it is fetched and verified again`);
  }

  /**
   * Unpacks verified tarball bytes into the cache (the caller checked them
   * against the expected integrity). Answers the cached copy, which may be one
   * another process put there first.
   */
  async install(bytes: Uint8Array, request: InstallRequest): Promise<CachedPlugin> {
    const integrity = integrityOf(bytes);
    if (request.name && request.version) {
      const existing = await this.get(request.name, request.version);
      if (existing) return this.same(existing, integrity, request);
    }
    await this.sweepStale();
    const tmp = await this.tempDir('install-');
    try {
      const unpacked = join(tmp, 'package');
      await mkdir(unpacked);
      await unpackTarball(bytes, unpacked, request.where, this.limits);
      const folder = await readPluginFolder(unpacked).catch((error: KadendeError) => {
        // Name the tarball, not the temporary folder it was unpacked into.
        throw new KadendeError(error.code, `${request.where}: ${error.message.replace(unpacked, 'package')}`).with({ details: error.details });
      });
      const { name, version } = folder.manifest;
      if ((request.name && request.name !== name) || (request.version && request.version !== version)) {
        throw kadendeError('KADENDE_ERR_PLUGIN_MANIFEST', `${request.where}: the tarball holds ${name}@${version}, expected ${request.name ?? name}@${request.version ?? version}`);
      }
      const meta: CacheMeta = {
        name,
        version,
        integrity,
        source: request.source,
        ...(request.url ? { url: request.url } : {}),
        ...(request.signature ? { signature: request.signature } : {}),
        installedAt: new Date().toISOString(),
      };
      await writeFile(join(unpacked, CACHE_META), `${JSON.stringify(meta, null, 2)}\n`);
      await writeFile(join(unpacked, TREE_DIGEST_FILE), `${JSON.stringify(await treeDigest(unpacked, { skip: [CACHE_META] }))}\n`);
      await mkdir(join(this.dir, name), { recursive: true });
      try {
        await rename(unpacked, this.folderOf(name, version));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
        // Another process won the race: keep its copy if it is the same tarball.
        const winner = await this.get(name, version);
        if (!winner) throw error;
        return this.same(winner, integrity, request);
      }
      // Read-only once in place (renaming a folder needs write access to it, so not before).
      await setTreeWritable(this.folderOf(name, version), false);
      return { folder: await readPluginFolder(this.folderOf(name, version)), meta };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  private same(existing: CachedPlugin, integrity: string, request: InstallRequest): CachedPlugin {
    if (existing.meta.integrity === integrity) return existing;
    const { name, version } = existing.meta;
    throw kadendeError('KADENDE_ERR_PLUGIN_INTEGRITY', `${request.where}: ${name}@${version} is already cached with digest ${existing.meta.integrity} (from ${existing.meta.url ?? existing.meta.source}); these bytes have ${integrity}. A version is never overwritten`);
  }

  /** Every cached version. */
  async list(): Promise<CacheMeta[]> {
    if (!existsSync(this.dir)) return [];
    const found: CacheMeta[] = [];
    for (const name of (await readdir(this.dir)).sort()) {
      if (name.startsWith('.') || name === CACHE_OWN_DIR || !(await stat(join(this.dir, name))).isDirectory()) continue;
      for (const version of (await readdir(join(this.dir, name))).sort()) {
        const meta = await readFile(join(this.dir, name, version, CACHE_META), 'utf8').then((t) => JSON.parse(t) as CacheMeta, () => undefined);
        if (meta) found.push(meta);
      }
    }
    return found;
  }

  /** Removes one version: renamed out of place first, so no reader sees it half-deleted. */
  async remove(name: string, version: string): Promise<void> {
    const doomed = await this.tempDir('prune-');
    try {
      // Writable again first: renaming a folder to another parent needs write access to it.
      await setTreeWritable(this.folderOf(name, version), true).catch(() => {});
      await rename(this.folderOf(name, version), join(doomed, 'package'));
    } finally {
      await rm(doomed, { recursive: true, force: true });
    }
  }

  /**
   * A new folder under `<cacheDir>/.tmp/`: on the cache's filesystem, so that
   * renames between it and `<name>/<version>/` are atomic.
   */
  private async tempDir(prefix: string): Promise<string> {
    // Every write starts here: the cache is its user's alone (0700, an existing one narrowed).
    makePrivateDir(this.dir);
    await mkdir(this.tmpRoot, { recursive: true, mode: 0o700 });
    return mkdtemp(join(this.tmpRoot, prefix));
  }

  private get tmpRoot(): string {
    return join(this.dir, '.tmp');
  }

  private async sweepStale(): Promise<void> {
    const tmpRoot = this.tmpRoot;
    for (const child of await readdir(tmpRoot).catch(() => [] as string[])) {
      const path = join(tmpRoot, child);
      const info = await stat(path).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > STALE_TMP_MS) await rm(path, { recursive: true, force: true });
    }
  }
}
