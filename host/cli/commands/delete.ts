/** `kadende delete cluster CLUSTER`: every resource of the cluster, then the cluster. */
import type { Command } from 'commander';
import { invalidInput } from '../../errors.js';
import { withService } from '../context.js';
import { globals, out } from '../program.js';

const seconds = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw invalidInput('KADENDE_ERR_ARGUMENT', `--timeout takes a number of seconds, got "${value}"`);
  return n * 1000;
};

export function registerDelete(program: Command): void {
  program
    .command('delete')
    .description('delete a cluster: every resource of it, then the cluster')
    .argument('<kind>', 'cluster')
    .argument('<cluster>', 'cluster id or name')
    .option('--timeout <seconds>', 'give up after this long', '300')
    .action(async (kind: string, ref: string, options: { timeout: string }) => {
      if (kind !== 'cluster') throw invalidInput('KADENDE_ERR_ARGUMENT', `delete takes "cluster", got "${kind}"`);
      const report = await withService(globals(), (s) => s.deleteCluster(ref, { timeoutMs: seconds(options.timeout) }));
      out({ deleted: report.clusterId, report }, () => `cluster ${report.clusterName} (${report.clusterId}) deleted`);
    });
}
