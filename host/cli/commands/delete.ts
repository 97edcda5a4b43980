/** `kadende delete cluster CLUSTER`: every resource of the cluster, then the cluster. */
import type { Command } from 'commander';
import { withService } from '../context.js';
import { parsedOption, seconds } from '../flags.js';
import { globals, out } from '../program.js';
import { kadendeError } from '../../../errors/index.js';

export function registerDelete(program: Command): void {
  program
    .command('delete')
    .description('delete a cluster: every resource of it, then the cluster')
    .argument('<kind>', 'cluster')
    .argument('<cluster>', 'cluster id or name')
    .addOption(parsedOption('--timeout <seconds>', 'give up after this long', seconds, '300'))
    .action(async (kind: string, ref: string, options: { /** ms */ timeout: number }) => {
      if (kind !== 'cluster') throw kadendeError('KADENDE_ERR_ARGUMENT', `delete takes "cluster", got "${kind}"`);
      const report = await withService(globals(), (s) => s.deleteCluster(ref, { timeoutMs: options.timeout }));
      out({ deleted: report.clusterId, report }, () => `cluster ${report.clusterName} (${report.clusterId}) deleted`);
    });
}
