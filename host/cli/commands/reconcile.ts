/** `kadende reconcile CLUSTER`: converge once, or with --wait until converged. */
import type { Command } from 'commander';
import { withService } from '../context.js';
import { parsedOption, seconds } from '../flags.js';
import { globals, out } from '../program.js';
import { renderReport } from '../render.js';

export function registerReconcile(program: Command): void {
  program
    .command('reconcile')
    .description('converge a cluster once, or with --wait until it has converged')
    .argument('<cluster>', 'cluster id or name')
    .option('--wait', 'repeat until converged')
    .addOption(parsedOption('--timeout <seconds>', 'with --wait: give up after this long', seconds, '300'))
    .option('--retry-failed', 'drop records of failed creates first so that they are tried again')
    .action(async (cluster: string, options: { wait?: boolean; /** ms */ timeout: number; retryFailed?: boolean }) => {
      const report = await withService(globals(), (s) =>
        s.reconcile(cluster, { wait: options.wait, timeoutMs: options.timeout, retryFailed: options.retryFailed }),
      );
      out(report, () => renderReport(report, 'Reconciled'));
      if (report.groups.some((g) => g.status?.reason === 'describe-failed')) process.exitCode = 1;
    });
}
