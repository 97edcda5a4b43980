/** `kadende reconcile CLUSTER`: converge once, or with --wait until converged. */
import type { Command } from 'commander';
import { invalidInput } from '../../errors.js';
import { withService } from '../context.js';
import { globals, out } from '../program.js';
import { renderReport } from '../render.js';

const seconds = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw invalidInput('KADENDE_ERR_ARGUMENT', `--timeout takes a number of seconds, got "${value}"`);
  return n * 1000;
};

export function registerReconcile(program: Command): void {
  program
    .command('reconcile')
    .description('converge a cluster once, or with --wait until it has converged')
    .argument('<cluster>', 'cluster id or name')
    .option('--wait', 'repeat until converged')
    .option('--timeout <seconds>', 'with --wait: give up after this long', '300')
    .option('--retry-failed', 'drop records of failed creates first so that they are tried again')
    .action(async (cluster: string, options: { wait?: boolean; timeout: string; retryFailed?: boolean }) => {
      const report = await withService(globals(), (s) =>
        s.reconcile(cluster, { wait: options.wait, timeoutMs: seconds(options.timeout), retryFailed: options.retryFailed }),
      );
      out(report, () => renderReport(report, 'Reconciled'));
      if (report.groups.some((g) => g.error)) process.exitCode = 1;
    });
}
