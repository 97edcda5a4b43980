/** `kadende reconcile CLUSTER`: converge once, or with --wait until converged, showing progress on stderr. */
import type { Command } from 'commander';
import { stuckGroups, type ReconcileReport } from '../../controller/index.js';
import { kadendeError } from '../../../errors/index.js';
import { withService } from '../context.js';
import { parsedOption, seconds } from '../flags.js';
import { globals, machineOutput, out } from '../program.js';
import { progressFor } from '../progress.js';
import { renderReport } from '../render.js';
import { followServerProgress } from '../server-progress.js';

export function registerReconcile(program: Command): void {
  program
    .command('reconcile')
    .description('converge a cluster once, or with --wait until it has converged; fails (KADENDE_ERR_PASS_INCOMPLETE) when a create or delete of the pass failed')
    .argument('<cluster>', 'cluster id or name')
    .option('--wait', 'repeat until converged, showing progress on stderr')
    .addOption(parsedOption('--timeout <seconds>', 'with --wait: give up after this long', seconds, '300'))
    .option('--retry-failed', 'drop records of failed creates first so that they are tried again')
    .action(async (cluster: string, options: { wait?: boolean; /** ms */ timeout: number; retryFailed?: boolean }) => {
      const started = Date.now();
      const progress = options.wait ? progressFor(machineOutput(), { title: `reconcile ${cluster}` }) : undefined;
      let report: ReconcileReport;
      try {
        report = await withService(globals(), async (s) => {
          const stopFollowing = followServerProgress(s, cluster, progress);
          const done = await s.reconcile(cluster, { wait: options.wait, timeoutMs: options.timeout, retryFailed: options.retryFailed, onProgress: progress?.update }).catch((error: unknown) => {
            stopFollowing();
            throw error;
          });
          stopFollowing(done);
          return done;
        });
      } finally {
        progress?.stop();
      }
      // The whole command, store and plugins included, is what the operator waited for.
      const whole = { ...report, durationMs: Date.now() - started };
      out(whole, () => renderReport(whole, 'Reconciled'));
      const problems = passProblems(whole);
      // The CLI's own advice; the API words the same stuck wait in its terms (wait.ts).
      const hint = whole.groups.some((g) => g.status?.reason === 'creates-failed') ? ' (see `kadende events`; retry with --retry-failed)' : '';
      if (problems.length > 0) throw kadendeError('KADENDE_ERR_PASS_INCOMPLETE', whole.clusterName, problems.join('; ') + hint).with({ details: whole });
    });
}

/** What a pass failed to do: plugin calls that failed (which resource, the error), groups it could not observe, groups no pass will fix. */
export function passProblems(report: ReconcileReport): string[] {
  const stuck = stuckGroups(report);
  return [...stuck, ...report.groups.flatMap((group) => [
    ...(group.status?.reason === 'describe-failed' && group.error ? [`${group.path}: describe failed: ${group.error.message}`] : []),
    ...(group.failures ?? []).map((f) => `${group.path}: ${f.call} of ${f.resourceId ?? f.providerId ?? 'a resource'}${f.providerId && f.resourceId ? ` (${f.providerId})` : ''} failed: ${f.message}`),
  ])];
}
