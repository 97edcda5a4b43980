/** `kadende registry serve`: a plugin registry on this machine. */
import type { Command } from 'commander';
import { createRegistryServer, registryToken } from '../../../registry/index.js';
import { parsedOption, port } from '../flags.js';
import { out } from '../program.js';

export function registerRegistryCommands(program: Command): void {
  const registry = program.command('registry').description('run a plugin registry');
  registry
    .command('serve')
    .description('serve plugin documents and tarballs from a folder; publishing needs the bearer token')
    .requiredOption('--dir <dir>', 'where documents and tarballs are kept')
    .addOption(parsedOption('--port <port>', 'TCP port (0 picks a free one)', port, '4873'))
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--token-file <file>', 'file holding the publish token (default: $KADENDE_REGISTRY_TOKEN; without one, publishing is refused)')
    .action(async (options: { dir: string; port: number; host: string; tokenFile?: string }) => {
      const token = await registryToken(options.tokenFile);
      const app = await createRegistryServer({ dir: options.dir, token });
      const address = await app.listen({ port: options.port, host: options.host });
      out({ url: address, dir: options.dir, publishing: token !== undefined }, () => `registry listening on ${address} (folder ${options.dir}${token ? '' : '; publishing disabled: no token'})`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await app.close();
    });
}
