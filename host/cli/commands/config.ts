/** `kadende config get-contexts | use-context | set-context | current-context`: the CLI's contexts (contexts.ts). */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { kadendeError } from '../../../errors/index.js';
import { configPath, readCliConfig, writeCliConfig, type ContextEntry } from '../contexts.js';
import { table } from '../format.js';
import { out } from '../program.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description(`the CLI's contexts (a daemon's URL, its token file, a data dir), in $KADENDE_CONFIG, else ${configPath({})}`);
  config
    .command('get-contexts')
    .description('list the contexts; * marks the current one')
    .action(() => {
      const file = configPath();
      const { currentContext, contexts } = readCliConfig(file);
      const rows = Object.entries(contexts).map(([name, c]) => ({ current: name === currentContext ? '*' : '', name, server: c.server, 'token-file': c.tokenFile, 'data-dir': c.dataDir }));
      out({ file, currentContext, contexts }, () => table(rows, ['current', 'name', 'server', 'token-file', 'data-dir']));
    });
  config
    .command('current-context')
    .description('the name of the context in use')
    .action(() => {
      const file = configPath();
      const { currentContext } = readCliConfig(file);
      if (currentContext === undefined) throw kadendeError('KADENDE_ERR_CLI_CONFIG', file, 'sets no current context (`kadende config use-context NAME`)');
      out({ currentContext }, () => currentContext);
    });
  config
    .command('use-context')
    .description('make NAME the context every command runs in')
    .argument('<name>', 'a context of get-contexts')
    .action(async (name: string) => {
      const file = configPath();
      const current = readCliConfig(file);
      if (!current.contexts[name]) throw kadendeError('KADENDE_ERR_CLI_CONFIG', file, `has no context "${name}" (see \`kadende config get-contexts\`; make it with \`kadende config set-context ${name} ...\`)`);
      await writeCliConfig({ ...current, currentContext: name }, file);
      out({ currentContext: name }, () => `switched to context "${name}"`);
    });
  config
    .command('set-context')
    .description('make or change the context NAME (only the given settings change)')
    .argument('<name>', 'the context')
    .option('--server <url>', "a daemon's URL, e.g. http://127.0.0.1:7461")
    .option('--token-file <file>', "the file holding the daemon's API token")
    .option('--data-dir <dir>', 'the data dir of the embedded store')
    .action(async (name: string, flags: { server?: string; tokenFile?: string; dataDir?: string }) => {
      // --server and --data-dir are global flags as well, and commander gives them to the program.
      const global = (key: 'server' | 'dataDir') => (program.getOptionValueSource(key) === 'cli' ? program.opts<Record<string, string>>()[key] : undefined);
      const options = { ...flags, server: flags.server ?? global('server'), dataDir: flags.dataDir ?? global('dataDir') };
      if (options.server !== undefined && !/^https?:\/\/[^\s/]+/.test(options.server)) {
        throw kadendeError('KADENDE_ERR_ARGUMENT', `--server takes a URL such as http://127.0.0.1:7461, got "${options.server}"`);
      }
      const file = configPath();
      const current = readCliConfig(file);
      // Paths are stored absolute: a context means the same folder from any working directory.
      const given: ContextEntry = {
        ...(options.server !== undefined ? { server: options.server } : {}),
        ...(options.tokenFile !== undefined ? { tokenFile: resolve(options.tokenFile) } : {}),
        ...(options.dataDir !== undefined ? { dataDir: resolve(options.dataDir) } : {}),
      };
      const entry = { ...current.contexts[name], ...given };
      const created = !current.contexts[name];
      await writeCliConfig({ ...current, contexts: { ...current.contexts, [name]: entry } }, file);
      out({ name, ...entry }, () => `context "${name}" ${created ? 'created' : 'modified'}`);
    });
}
