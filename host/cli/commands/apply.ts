/** `kadende apply -f FILE`: validate a configuration and store it; `--dry-run` shows what would change and stores nothing. */
import type { Command } from 'commander';
import { configBaseDir, readConfig } from '../config-file.js';
import { withService } from '../context.js';
import { draftFromFile, renderChanges } from '../draft.js';
import { globals, machineOutput, out } from '../program.js';
import { renderReport } from '../render.js';

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('validate a cluster configuration and store it (create or update); prints the cluster id')
    .requiredOption('-f, --file <file>', 'the configuration (YAML or JSON; - for stdin)')
    .option('--upgrade-plugins', 're-resolve every plugin to the newest version the configuration allows')
    .option('--dry-run', 'validate and show what would change (the configuration field by field, then the planned actions); store nothing')
    .action(async (options: { file: string; upgradePlugins?: boolean; dryRun?: boolean }) => {
      if (options.dryRun) {
        // create: false: a dry run never makes a store either.
        const draft = await withService(globals(), (s) => draftFromFile(s, options.file, { upgradePlugins: options.upgradePlugins }), { emptyWhenMissing: true });
        const verb = !draft.existing ? 'created' : draft.changes.length > 0 ? 'updated' : 'unchanged';
        out({ id: draft.next.id, name: draft.next.name, result: verb, dryRun: true, generation: draft.next.generation, changes: draft.changes, plan: draft.plan }, () =>
          [`cluster ${draft.next.name} would be ${verb} (dry run: nothing stored)`, renderChanges(draft), '', renderReport(draft.plan, 'Plan for')].join('\n'),
        );
        return;
      }
      const text = await readConfig(options.file);
      const result = await withService(globals(), (s) => s.apply(text, options.file, { upgradePlugins: options.upgradePlugins, baseDir: configBaseDir(options.file) }), { create: true });
      const verb = result.created ? 'created' : result.changed ? 'updated' : 'unchanged';
      if (!machineOutput()) process.stderr.write(
          `cluster ${result.cluster.name} ${verb} (generation ${result.cluster.generation})${result.cluster.deleting ? '; it is being deleted, and the delete goes on with this configuration' : ''}\n`,
        );
      out({ id: result.cluster.id, name: result.cluster.name, result: verb, generation: result.cluster.generation, pins: result.cluster.pins }, () => result.cluster.id);
    });
}
