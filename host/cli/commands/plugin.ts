/** `kadende plugin pack | publish | install | list | prune`: making, sharing and caching plugins. */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { pluginCache, registries } from '../../plugins/index.js';
import { integrityOf } from '../../../lib/index.js';
import { signPlugin } from '../../plugins/index.js';
import { RegistryClient } from '../../../registry/index.js';
import { packPlugin } from '../../../registry/index.js';
import { registryToken } from '../../../registry/index.js';
import { readTarballManifest } from '../../../registry/index.js';
import { openLocal } from '../context.js';
import { table } from '../format.js';
import { globals, machineOutput, out } from '../program.js';
import { elapsed } from '../progress.js';
import { checkPluginLoads } from '../../plugins/index.js';
import { registerPluginAuthorCommands } from './plugin-author.js';
import { kadendeError } from '../../../errors/index.js';

const readInput = async (file: string, what: string) => {
  try {
    return await readFile(file);
  } catch (error) {
    throw kadendeError('KADENDE_ERR_ARGUMENT', `cannot read ${what} ${file}: ${(error as Error).message}`);
  }
};

/** `name`, `name@range` or a tarball URL. */
export function parsePluginSpec(spec: string): { name: string; version: string; url?: string } {
  if (/^(https?|file):/i.test(spec)) return { name: '', version: 'latest', url: spec };
  const at = spec.lastIndexOf('@');
  return at > 0 ? { name: spec.slice(0, at), version: spec.slice(at + 1) || 'latest' } : { name: spec, version: 'latest' };
}

export function registerPluginCommands(program: Command): void {
  const plugin = program.command('plugin').description('make (init, build, test, keygen, sdk), pack, publish, install and list plugins');
  registerPluginAuthorCommands(plugin);

  plugin
    .command('pack')
    .description("build <name>-<version>.tgz from a plugin folder (reproducible; the main bundled with its dependencies); lists what went in and prints its sha512 integrity")
    .argument('[dir]', 'the plugin folder', '.')
    .option('--out-dir <dir>', 'where to write the tarball', '.')
    .action(async (dir: string, options: { outDir: string }) => {
      const packed = await packPlugin(dir);
      const file = resolve(options.outDir, packed.fileName);
      await writeFile(file, packed.bytes);
      const { name, version } = packed.manifest;
      const main = packed.manifest.main.replace(/^\.\//, '');
      out({ file, name, version, integrity: packed.integrity, size: packed.bytes.length, files: packed.files, bundled: packed.bundled }, () =>
        [
          `packed ${name}@${version} (${packed.files.length} files, ${packed.bytes.length} bytes)`,
          ...packed.files.map((f) => `  ${f}${f === main && packed.bundled.length > 0 ? `  (bundled: ${packed.bundled.length} modules)` : ''}`),
          `file:      ${file}`,
          `integrity: ${packed.integrity}`,
        ].join('\n'),
      );
    });

  plugin
    .command('publish')
    .description('upload a tarball to the registry given by the global --registry (or $KADENDE_REGISTRY)')
    .argument('<tarball>', 'a file made by `kadende plugin pack`')
    .option('--token-file <file>', 'file holding the bearer token (default: $KADENDE_REGISTRY_TOKEN)')
    .option('--sign-key <file>', 'Ed25519 private key (PEM) to sign name@version:integrity with')
    .action(async (tarball: string, options: { tokenFile?: string; signKey?: string }) => {
      const [registry] = registries(globals());
      if (!registry) throw kadendeError('KADENDE_ERR_ARGUMENT', 'publish needs --registry URL (or $KADENDE_REGISTRY)');
      const bytes = await readInput(tarball, 'tarball');
      const manifest = await readTarballManifest(bytes, tarball);
      const token = await registryToken(options.tokenFile);
      const signature = options.signKey
        ? signPlugin((await readInput(options.signKey, 'signing key')).toString('utf8'), manifest.name, manifest.version, integrityOf(bytes))
        : undefined;
      const published = await new RegistryClient(registry).publish(manifest.name, bytes, { token, signature });
      out({ ...published, registry, signed: signature !== undefined }, () => `published ${published.name}@${published.version} to ${registry}${signature ? ' (signed)' : ''}\nintegrity: ${published.integrity}`);
    });

  plugin
    .command('install')
    .description('resolve, download, verify and cache a plugin: NAME, NAME@RANGE or a tarball URL')
    .argument('<spec>', 'e.g. echo, echo@^1.2.0, echo@latest, https://example.com/echo-1.0.0.tgz')
    .option('--integrity <sri>', 'with a URL: the sha512 digest the tarball must have')
    .action(async (spec: string, options: { integrity?: string }) => {
      const ref = parsePluginSpec(spec);
      // Progress on stderr (a download bar too, on a terminal: lib/fetch.ts); none for programs.
      const started = Date.now();
      const note = (text: string) => (machineOutput() ? undefined : process.stderr.write(`[${elapsed(Date.now() - started)}] plugin install: ${text}\n`));
      note(ref.url ? `downloading ${ref.url}` : `resolving ${ref.name}@${ref.version} (${registries(globals()).join(', ') || 'no registry: local folders and the cache'})`);
      // Nothing is held open (no store, no plugin host): there is nothing to close.
      const { distribution: { url }, resolver } = await openLocal(globals(), ['distribution', 'resolver']);
      let found;
      if (ref.url) {
        // The name is not known before the download: the manifest's name is the one cached.
        const cached = await url.install(ref.url, options.integrity);
        note(`${cached.meta.name}@${cached.meta.version} downloaded and verified (${cached.meta.integrity.slice(0, 19)}...); checking that it loads`);
        await checkPluginLoads(cached.folder);
        found = { pin: { name: cached.meta.name, version: cached.meta.version, source: 'url', integrity: cached.meta.integrity, url: ref.url }, dir: cached.folder.dir };
      } else {
        const resolved = await resolver.resolve({ ...ref, ...(options.integrity ? { integrity: options.integrity } : {}) });
        found = { pin: resolved.pin, dir: resolved.folder.dir };
      }
      note(`${found.pin.name}@${found.pin.version} verified, unpacked and loaded`);
      out(found, () => `${found.pin.name}@${found.pin.version} (${found.pin.source}) in ${found.dir}${found.pin.integrity ? `\nintegrity: ${found.pin.integrity}` : ''}`);
    });

  plugin
    .command('list')
    .description('the plugins in the cache')
    .action(async () => {
      const cached = await pluginCache(globals()).list();
      out(cached, () => table(cached.map((c) => ({ ...c, integrity: `${c.integrity.slice(0, 22)}...` })) as unknown as Array<Record<string, unknown>>, ['name', 'version', 'source', 'integrity', 'url', 'installedAt']));
    });

  plugin
    .command('prune')
    .description('remove cached versions that no stored cluster pins')
    .option('--dry-run', 'only show what would be removed')
    .action(async (options: { dryRun?: boolean }) => {
      const cache = pluginCache(globals());
      const { store, close } = await openLocal(globals(), ['store']);
      const pinned = new Set<string>();
      try {
        for (const cluster of await store.listClusters()) {
          for (const pin of [...Object.values(cluster.pins), ...Object.values(cluster.retired).map((r) => r.pin)]) pinned.add(`${pin.name}@${pin.version}`);
        }
      } finally {
        await close();
      }
      const unpinned = (await cache.list()).filter((c) => !pinned.has(`${c.name}@${c.version}`));
      if (!options.dryRun) for (const c of unpinned) await cache.remove(c.name, c.version);
      const removed = unpinned.map((c) => `${c.name}@${c.version}`);
      out({ removed, kept: pinned.size, dryRun: options.dryRun ?? false }, () =>
        removed.length === 0 ? 'nothing to prune' : `${options.dryRun ? 'would remove' : 'removed'}: ${removed.join(', ')}`,
      );
    });
}
