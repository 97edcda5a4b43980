/**
 * What a plugin author runs: `kadende plugin init | build | test | keygen | sdk`.
 * From an empty folder to a tarball that runs: init scaffolds, build bundles
 * the source into the manifest's main, test runs the contract checks through a
 * real worker pool, keygen makes the Ed25519 pair `publish --sign-key` and
 * `--trusted-keys` take, sdk writes the @kadende/plugin-sdk tarball to install.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { createAjv, contractSuite, formatAjvErrors } from '@kadende/plugin-sdk';
import { readPluginFolder } from '../../plugins/index.js';
import { PluginPool } from '../../plugins/index.js';
import { bundleEntry, packFiles, readPluginPackage } from '../../../registry/index.js';
import { out } from '../program.js';
import { scaffold } from './plugin-scaffold.js';
import { kadendeError } from '../../../errors/index.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,213}$/;
const ENTRIES = ['src/index.ts', 'src/index.mts', 'src/index.js', 'src/index.mjs'];

async function writeNew(file: string, text: string, options: { force?: boolean; mode?: number } = {}): Promise<void> {
  if (!options.force && existsSync(file)) throw kadendeError('KADENDE_ERR_ARGUMENT', `${file} exists; pass --force to overwrite it`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text, { mode: options.mode ?? 0o644 });
}

export function registerPluginAuthorCommands(plugin: Command): void {
  plugin
    .command('init')
    .description('scaffold a plugin folder: manifest, TypeScript source, contract test, build, README')
    .argument('<name>', 'the plugin name (lower case: letters, digits, . _ -)')
    .option('--dir <dir>', 'where to create it (default: ./<name>)')
    .action(async (name: string, options: { dir?: string }) => {
      if (!NAME.test(name)) throw kadendeError('KADENDE_ERR_ARGUMENT', `"${name}" is not a plugin name: lower-case letters, digits, ".", "_" and "-", starting with a letter or digit`);
      const dir = resolve(options.dir ?? name);
      if (existsSync(dir) && (await readdir(dir)).length > 0) throw kadendeError('KADENDE_ERR_ARGUMENT', `${dir} is not empty: init makes a new plugin folder`);
      const files = scaffold(name);
      for (const [file, text] of Object.entries(files)) await writeNew(join(dir, file), text);
      out({ dir, name, files: Object.keys(files).sort() }, () =>
        [
          `created plugin ${name} in ${dir}`,
          ...Object.keys(files).sort().map((f) => `  ${f}`),
          '',
          'next:',
          `  cd ${relative(process.cwd(), dir) || '.'}`,
          '  npm install <the SDK tarball from `kadende plugin sdk`>   # or npm install -D @kadende/plugin-sdk once it is published',
          '  npm test            # builds dist/plugin.js and runs the contract test',
          '  kadende plugin pack',
        ].join('\n'),
      );
    });

  plugin
    .command('build')
    .description("bundle the plugin's source (src/index.ts by default) and its dependencies into kadende.main, one ES module")
    .argument('[dir]', 'the plugin folder', '.')
    .option('--entry <file>', `the source module (default: the first of ${ENTRIES.join(', ')})`)
    .action(async (dirArg: string, options: { entry?: string }) => {
      const dir = resolve(dirArg);
      const { manifest } = await readPluginPackage(dir);
      const entry = options.entry ?? ENTRIES.find((e) => existsSync(join(dir, e)));
      if (!entry || !existsSync(resolve(dir, entry))) {
        throw kadendeError('KADENDE_ERR_ARGUMENT', `cannot build ${dir}: no ${options.entry ?? ENTRIES.join(', ')} (give the source module with --entry)`);
      }
      const { code, inputs } = await bundleEntry(dir, entry, { refuseAs: `cannot build ${dir}` });
      const outfile = resolve(dir, manifest.main);
      if (outfile === resolve(dir, entry)) throw kadendeError('KADENDE_ERR_ARGUMENT', `cannot build ${dir}: kadende.main is the source ${entry} itself; point it at the output, e.g. dist/plugin.js`);
      await mkdir(dirname(outfile), { recursive: true });
      await writeFile(outfile, code);
      out({ dir, entry, main: manifest.main, bytes: code.length, inputs }, () => `built ${manifest.main} from ${entry} (${inputs.length} modules, ${code.length} bytes)`);
    });

  plugin
    .command('test')
    .description("run the contract checks against a plugin folder's built main, through a worker pool as the host runs it")
    .argument('[dir]', 'the plugin folder', '.')
    .option('--properties <json>', "the group's resourceProperties, as JSON", '{}')
    .option('--missing-id <id>', 'a provider id that certainly does not exist')
    .action(async (dirArg: string, options: { properties: string; missingId?: string }) => {
      const folder = await readPluginFolder(dirArg);
      let properties: Record<string, unknown>;
      try {
        properties = JSON.parse(options.properties) as Record<string, unknown>;
      } catch (error) {
        throw kadendeError('KADENDE_ERR_ARGUMENT', `--properties is not JSON: ${(error as Error).message}`);
      }
      const validate = createAjv({ useDefaults: true }).compile(folder.manifest.propertiesSchema);
      if (!validate(properties)) {
        throw kadendeError('KADENDE_ERR_ARGUMENT', `--properties do not match ${folder.manifest.name}'s propertiesSchema: ${formatAjvErrors(validate.errors, 'properties').join('; ')}`);
      }
      const pool = new PluginPool(folder);
      const results: Array<{ name: string; ok: boolean; error?: string; ms: number }> = [];
      try {
        await pool.probe();
        const suite = contractSuite({ name: folder.manifest.name, call: (method, request) => pool.call(method, request), properties: () => properties, ...(options.missingId ? { missingId: options.missingId } : {}) });
        for (const check of suite.checks) {
          const started = Date.now();
          try {
            await check.run();
            results.push({ name: check.name, ok: true, ms: Date.now() - started });
          } catch (error) {
            results.push({ name: check.name, ok: false, error: (error as Error).message, ms: Date.now() - started });
          }
        }
        await suite.cleanup();
      } finally {
        await pool.close();
      }
      const failed = results.filter((r) => !r.ok);
      out({ plugin: pool.id, passed: results.length - failed.length, failed: failed.length, checks: results }, () =>
        [`${pool.id} plugin contract`, ...results.map((r) => `  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.ms} ms)${r.error ? `\n         ${r.error}` : ''}`), `${results.length - failed.length} passed, ${failed.length} failed`].join('\n'),
      );
      if (failed.length > 0) {
        throw kadendeError('KADENDE_ERR_PLUGIN_CONTRACT', `${pool.id} breaks the contract: ${failed.map((f) => f.name).join('; ')}`);
      }
    });

  plugin
    .command('keygen')
    .description('write an Ed25519 key pair: the private key for `publish --sign-key`, the public key for `--trusted-keys`')
    .option('--out <prefix>', 'file name prefix: writes <prefix>.key (private, mode 600) and <prefix>.pub', 'kadende-signing')
    .option('--force', 'overwrite existing files')
    .action(async (options: { out: string; force?: boolean }) => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      const privateFile = resolve(`${options.out}.key`);
      const publicFile = resolve(`${options.out}.pub`);
      await writeNew(privateFile, privateKey, { force: options.force, mode: 0o600 });
      await writeNew(publicFile, publicKey, { force: options.force });
      out({ privateKey: privateFile, publicKey: publicFile }, () =>
        [
          `private key: ${privateFile}   (keep it secret: kadende plugin publish TARBALL --sign-key ${basename(privateFile)})`,
          `public key:  ${publicFile}   (give it to operators: --trusted-keys ${basename(publicFile)}, several may be concatenated in one file)`,
        ].join('\n'),
      );
    });

  plugin
    .command('sdk')
    .description('write the @kadende/plugin-sdk package tarball this kadende ships, for `npm install <tarball>`')
    .option('--out-dir <dir>', 'where to write it', '.')
    .action(async (options: { outDir: string }) => {
      const dir = dirname(createRequire(import.meta.url).resolve('@kadende/plugin-sdk/package.json'));
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name: string; version: string; files: string[] };
      const vendor = await readFile(join(dir, 'dist/vendor.js'), 'utf8').catch(() => '');
      if (!vendor || /from ["'](ajv|@sinclair\/typebox)["']/.test(vendor)) {
        throw kadendeError('KADENDE_ERR_SDK_NOT_BUILT', `${dir} is not a built SDK (dist/vendor.js must be the bundle scripts/vendor.mjs writes): run \`npm run build\``);
      }
      const packed = await packFiles(dir, pkg.files);
      const file = resolve(options.outDir, `kadende-plugin-sdk-${pkg.version}.tgz`);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, packed.bytes);
      out({ file, name: pkg.name, version: pkg.version, integrity: packed.integrity, files: packed.files }, () =>
        [`wrote ${pkg.name}@${pkg.version} (${packed.files.length} files)`, `file: ${file}`, `install it in a plugin folder: npm install --save-dev ${file}`].join('\n'),
      );
    });
}
