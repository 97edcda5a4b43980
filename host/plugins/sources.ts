/**
 * Plugin sources that download: RegistrySource (plugin name + version/range,
 * looked up in registries tried in order) and UrlSource (a tarball URL). Both
 * verify the tarball's sha512 before unpacking it into the cache, pin the
 * exact version with its digest, and load a pin from the cache without the
 * network.
 */
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import semver from 'semver';
import type { PluginRef, PluginPin } from '../../model/index.js';
import { RegistryClient, type PluginDocument } from '../../registry/index.js';
import { writeFileAtomic, fetchBytes, integrityOf, isValidIntegrity, matchesIntegrity } from '../../lib/index.js';
import type { CachedPlugin, PluginCache } from './cache.js';
import type { PluginFolder } from './manifest.js';
import { canonicalPluginName, pickVersion, type PluginSource, type ResolvedPlugin } from './resolve.js';
import { checkSignature } from './verify.js';
import { KadendeError, kadendeError } from '../../errors/index.js';

export interface DownloadOptions {
  cache: PluginCache;
  /** With keys, unsigned or wrongly signed registry plugins are refused. */
  trustedKeys?: KeyObject[];
  maxTarballBytes?: number;
  progress?: boolean;
  /** Where warnings go (default: stderr), e.g. a URL plugin whose manifest names another plugin. */
  warn?: (message: string) => void;
  /** file: plugin URLs (default: allowed). The daemon allows them only when the operator says so. */
  allowFileUrls?: boolean;
  /**
   * Answer every failed URL install with one message, whatever its cause (the
   * daemon: an API client must not learn from the answer what exists on the
   * daemon's machine or network). The cause stays on the error.
   */
  opaqueUrlErrors?: boolean;
}

const stderrWarning = (message: string) => {
  process.stderr.write(`kadende: warning: ${message}\n`);
};

const integrityError = (what: string, url: string, expected: string, actual: string) =>
  kadendeError('KADENDE_ERR_PLUGIN_INTEGRITY', `${what}: ${url} does not match its digest: expected ${expected}, got ${actual}`);

export class RegistrySource implements PluginSource {
  private readonly clients: RegistryClient[];

  constructor(
    registries: string[],
    private readonly options: DownloadOptions,
  ) {
    this.clients = registries.map((r) => new RegistryClient(r));
  }

  /** The first registry that has the plugin, with its document; unreachable registries are skipped while another answers. */
  private async lookup(name: string): Promise<{ client: RegistryClient; doc: PluginDocument } | undefined> {
    const failures: KadendeError[] = [];
    for (const client of this.clients) {
      try {
        const doc = await client.document(name);
        if (doc) return { client, doc };
      } catch (error) {
        if (!(error instanceof KadendeError)) throw error;
        failures.push(error);
      }
    }
    // Not found anywhere reachable: if some registry failed, the plugin may be there, so say so.
    if (failures.length > 0) {
      if (failures.length === 1) throw failures[0]!;
      throw new KadendeError(failures[0]!.code, `plugin ${name}: ${failures.map((f) => f.message).join('; ')}`);
    }
    return undefined;
  }

  async resolve(ref: PluginRef): Promise<ResolvedPlugin | undefined> {
    if (ref.url) return undefined;
    const name = canonicalPluginName(ref.name);
    let found: Awaited<ReturnType<RegistrySource['lookup']>>;
    try {
      found = await this.lookup(name);
    } catch (error) {
      // Offline, an exact version already in the cache still resolves.
      const cached = semver.valid(ref.version) ? await this.options.cache.get(name, semver.valid(ref.version)!) : undefined;
      if (cached?.meta.source === 'registry') return this.resolved(cached, ref);
      throw error;
    }
    if (!found) return undefined;
    const { client, doc } = found;
    const versions = Object.keys(doc.versions);
    const version = ref.version === 'latest' && doc['dist-tags'].latest && doc.versions[doc['dist-tags'].latest] ? doc['dist-tags'].latest : pickVersion(versions, ref.version);
    if (!version) {
      throw kadendeError('KADENDE_ERR_PLUGIN_NO_MATCHING_VERSION', `plugin ${name}: no version matches "${ref.version}" in registry ${client.base} (it has ${versions.sort(semver.compare).join(', ') || 'none'})`);
    }
    const cached = await this.fetch(client, doc, version);
    return this.resolved(cached, ref);
  }

  private resolved(cached: CachedPlugin, ref: PluginRef): ResolvedPlugin {
    const { name, version, integrity, url } = cached.meta;
    const pin: PluginPin = { name, version, source: 'registry', integrity, ...(url ? { url } : {}), requested: { name: ref.name, version: ref.version } };
    return { pin, folder: cached.folder };
  }

  /** The version from the cache, else downloaded, verified and cached. */
  private async fetch(client: RegistryClient, doc: PluginDocument, version: string): Promise<CachedPlugin> {
    const entry = doc.versions[version]!;
    const { name } = doc;
    const url = client.tarballUrl(entry);
    const what = `plugin ${name}@${version}`;
    checkSignature(this.options.trustedKeys, { name, version, integrity: entry.integrity, signature: entry.signature, where: `registry ${client.base}` });
    const cached = await this.options.cache.get(name, version);
    if (cached) {
      if (cached.meta.integrity !== entry.integrity) {
        throw kadendeError('KADENDE_ERR_PLUGIN_INTEGRITY', `${what}: registry ${client.base} lists digest ${entry.integrity} but the cached copy has ${cached.meta.integrity}; published versions never change, so one of them is not genuine`);
      }
      return cached;
    }
    const bytes = await fetchBytes(url, { label: what, maxBytes: this.options.maxTarballBytes, progress: this.options.progress });
    if (!matchesIntegrity(bytes, entry.integrity)) throw integrityError(what, url, entry.integrity, integrityOf(bytes));
    return this.options.cache.install(bytes, { name, version, source: 'registry', url, signature: entry.signature, where: `${what} from ${url}` });
  }

  async load(pin: PluginPin): Promise<PluginFolder | undefined> {
    if (pin.source !== 'registry') return undefined;
    const cached = await this.options.cache.get(pin.name, pin.version);
    if (cached) {
      if (pin.integrity && cached.meta.integrity !== pin.integrity) {
        throw kadendeError('KADENDE_ERR_PLUGIN_INTEGRITY', `plugin ${pin.name}@${pin.version}: the cached copy has digest ${cached.meta.integrity}, the cluster pinned ${pin.integrity}`);
      }
      checkSignature(this.options.trustedKeys, { ...cached.meta, where: `the cache (${cached.folder.dir})` });
      return cached.folder;
    }
    // Not cached here (another machine, or pruned): fetch exactly the pinned version and digest.
    const found = await this.lookup(pin.name);
    const entry = found?.doc.versions[pin.version];
    if (!found || !entry) return undefined;
    if (pin.integrity && entry.integrity !== pin.integrity) {
      throw kadendeError('KADENDE_ERR_PLUGIN_INTEGRITY', `plugin ${pin.name}@${pin.version}: registry ${found.client.base} now lists digest ${entry.integrity}, the cluster pinned ${pin.integrity}`);
    }
    return (await this.fetch(found.client, found.doc, pin.version)).folder;
  }
}

type UrlDigests = Record<string, { integrity: string; name: string; version: string }>;

/**
 * Tarballs by URL. An `integrity` in the configuration is enforced; without
 * one, the first digest seen for a URL is recorded in `<cacheDir>/_kadende/url-digests.json`
 * and different bytes from that URL are refused afterwards (trust on first use).
 * Caches made before that file moved keep theirs at `<cacheDir>/url-digests.json`,
 * where a plugin of that name would have its folder: it is still read, merged
 * into the new file at the next record, then removed.
 */
export class UrlSource implements PluginSource {
  constructor(private readonly options: DownloadOptions) {}

  private get digestsFile(): string {
    return this.options.cache.ownFile('url-digests.json');
  }

  private get legacyDigestsFile(): string {
    return join(this.options.cache.dir, 'url-digests.json');
  }

  async recordedDigests(): Promise<UrlDigests> {
    return { ...(await readDigests(this.legacyDigestsFile)), ...(await readDigests(this.digestsFile)) };
  }

  /** Moves an old cache's digests into `_kadende/` (before an install: the old name may be a plugin's). */
  private async migrate(): Promise<void> {
    if (!(await stat(this.legacyDigestsFile).catch(() => undefined))?.isFile()) return;
    await this.write(await this.recordedDigests());
    await rm(this.legacyDigestsFile, { force: true });
  }

  private async write(digests: UrlDigests): Promise<void> {
    await mkdir(join(this.digestsFile, '..'), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.digestsFile, `${JSON.stringify(digests, null, 2)}\n`);
  }

  async resolve(ref: PluginRef): Promise<ResolvedPlugin | undefined> {
    if (!ref.url) return undefined;
    const cached = await this.install(ref.url, ref.integrity, `plugin ${ref.name}`);
    const { name, version, integrity } = cached.meta;
    // Like a Terraform provider's local name, a URL plugin's configured name is the operator's
    // name for it: the pin records the manifest's own name and version beside it.
    if (canonicalPluginName(ref.name) !== name) {
      (this.options.warn ?? stderrWarning)(`plugin "${ref.name}" from ${ref.url} is the package ${name}@${version}; the cluster calls it "${ref.name}" (pinned as ${name}@${version})`);
    }
    return {
      pin: { name, version, source: 'url', integrity, url: ref.url, requested: { name: ref.name, version: ref.version, url: ref.url } },
      folder: cached.folder,
    };
  }

  /** Downloads (or finds in the cache) the tarball at a URL, enforcing the given or recorded digest. */
  async install(url: string, integrity?: string, label = 'plugin tarball'): Promise<CachedPlugin> {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
    const allowed = scheme === 'http' || scheme === 'https' || (scheme === 'file' && this.options.allowFileUrls !== false);
    if (!allowed) throw kadendeError('KADENDE_ERR_PLUGIN_URL_REFUSED', label, url, scheme === 'file');
    if (!this.options.opaqueUrlErrors) return this.installFrom(url, integrity, label);
    try {
      return await this.installFrom(url, integrity, label);
    } catch (error) {
      throw kadendeError('KADENDE_ERR_PLUGIN_DOWNLOAD', `${label}: cannot install a plugin from ${url} (a local \`kadende plugin install\` of that URL says why)`).with({ cause: error });
    }
  }

  private async installFrom(url: string, integrity: string | undefined, label: string): Promise<CachedPlugin> {
    if (integrity !== undefined && !isValidIntegrity(integrity)) {
      throw kadendeError('KADENDE_ERR_PLUGIN_INTEGRITY', `"${integrity}" is not an integrity string (expected sha512-<base64>)`);
    }
    const recorded = (await this.recordedDigests())[url];
    const expected = integrity ?? recorded?.integrity;
    // With a known digest and a cached copy that has it, no network is needed.
    if (expected && recorded) {
      const cached = await this.options.cache.get(recorded.name, recorded.version);
      if (cached && matchesDigestOf(cached.meta.integrity, expected)) return cached;
    }
    const bytes = await fetchBytes(url, { label, maxBytes: this.options.maxTarballBytes, progress: this.options.progress });
    await this.migrate();
    const actual = integrityOf(bytes);
    if (integrity && !matchesIntegrity(bytes, integrity)) throw integrityError(label, url, integrity, actual);
    if (!integrity && recorded && recorded.integrity !== actual) {
      throw kadendeError('KADENDE_ERR_PLUGIN_INTEGRITY', `plugin tarball ${url} changed: it had digest ${recorded.integrity} when first installed (${recorded.name}@${recorded.version}), now ${actual}. Put the digest you trust in resourcePlugin.integrity`);
    }
    const cached = await this.options.cache.install(bytes, { source: 'url', url, where: `plugin tarball ${url}` });
    if (!recorded) await this.record(url, cached);
    return cached;
  }

  private async record(url: string, cached: CachedPlugin): Promise<void> {
    const digests = await this.recordedDigests();
    // Another process may have recorded it meanwhile: the first record stands.
    digests[url] ??= { integrity: cached.meta.integrity, name: cached.meta.name, version: cached.meta.version };
    await this.write(digests);
  }

  async load(pin: PluginPin): Promise<PluginFolder | undefined> {
    if (pin.source !== 'url' || !pin.url) return undefined;
    const cached = await this.options.cache.get(pin.name, pin.version);
    if (cached && (!pin.integrity || cached.meta.integrity === pin.integrity)) return cached.folder;
    return (await this.install(pin.url, pin.integrity)).folder;
  }
}

/** A digests file; nothing when it is missing, unreadable, or a folder (a plugin named url-digests.json in an old cache). */
async function readDigests(file: string): Promise<UrlDigests> {
  try {
    if (!(await stat(file)).isFile()) return {};
    return JSON.parse(await readFile(file, 'utf8')) as UrlDigests;
  } catch {
    return {};
  }
}

/** Integrity strings may list several hashes; the cache records sha512 alone. */
function matchesDigestOf(cachedIntegrity: string, expected: string): boolean {
  return expected.split(/\s+/).includes(cachedIntegrity);
}
