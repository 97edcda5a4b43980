/** `kadende plan`: what a reconcile would do now, for a stored cluster or a configuration file. */
import type { Command } from 'commander';
import { configBaseDir, readConfig } from '../config-file.js';
import { withService } from '../context.js';
import { pendingActions } from '../draft.js';
import { globals, out } from '../program.js';
import { renderReport } from '../render.js';
import { kadendeError } from '../../../errors/index.js';

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('show what a reconcile would do now, without doing it')
    .argument('[cluster]', 'a stored cluster, by id or name')
    .option('-f, --file <file>', 'a configuration that is not applied yet')
    .option('--detailed-exitcode', 'as terraform plan: exit 0 when nothing would be created or deleted, 2 when something would, 1 on an error')
    .action(async (cluster: string | undefined, options: { file?: string; detailedExitcode?: boolean }) => {
      if ((cluster === undefined) === (options.file === undefined)) {
        throw kadendeError('KADENDE_ERR_ARGUMENT', 'plan takes either a CLUSTER or -f FILE');
      }
      const target = options.file ? { text: await readConfig(options.file), file: options.file, baseDir: configBaseDir(options.file) } : cluster!;
      const report = await withService(globals(), (s) => s.plan(target), { create: options.file !== undefined });
      out(report, () => renderReport(report, 'Plan for'));
      if (options.detailedExitcode && pendingActions(report) > 0) process.exitCode = 2;
    });
}
