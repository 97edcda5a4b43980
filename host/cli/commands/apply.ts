/** `kadende apply -f FILE`: validate a configuration and store it. */
import type { Command } from 'commander';
import { configBaseDir, readConfig } from '../config-file.js';
import { withService } from '../context.js';
import { globals, machineOutput, out } from '../program.js';

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('validate a cluster configuration and store it (create or update); prints the cluster id')
    .requiredOption('-f, --file <file>', 'the configuration (YAML or JSON; - for stdin)')
    .option('--upgrade-plugins', 're-resolve every plugin to the newest version the configuration allows')
    .action(async (options: { file: string; upgradePlugins?: boolean }) => {
      const text = await readConfig(options.file);
      const result = await withService(globals(), (s) => s.apply(text, options.file, { upgradePlugins: options.upgradePlugins, baseDir: configBaseDir(options.file) }), { create: true });
      const verb = result.created ? 'created' : result.changed ? 'updated' : 'unchanged';
      if (!machineOutput()) process.stderr.write(
          `cluster ${result.cluster.name} ${verb} (generation ${result.cluster.generation})${result.cluster.deleting ? '; it is being deleted, and the delete goes on with this configuration' : ''}\n`,
        );
      out({ id: result.cluster.id, name: result.cluster.name, result: verb, generation: result.cluster.generation, pins: result.cluster.pins }, () => result.cluster.id);
    });
}
