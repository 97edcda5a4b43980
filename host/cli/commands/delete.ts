/** `kadende delete cluster CLUSTER`: every resource of the cluster, then the cluster. */
import type { Command } from 'commander';
import { withService } from '../context.js';
import { parsedOption, seconds, boolean } from '../flags.js';
import { globals, machineOutput, out } from '../program.js';
import { progressFor } from '../progress.js';
import { followServerProgress } from '../server-progress.js';
import { kadendeError } from '../../../errors/index.js';

export function registerDelete(program: Command): void {
  program
    .command('delete')
    .description('delete a cluster: every resource of it, then the cluster')
    .argument('<kind>', 'cluster')
    .argument('<cluster>', 'cluster id or name')
    .addOption(parsedOption('--timeout <seconds>', 'give up after this long', seconds, '300'))
    .addOption(
      parsedOption('--wait [bool]', 'wait until every resource is gone; --wait=false marks the cluster deleting and returns (the daemon or the next reconcile finishes it)', boolean, 'true').preset('true'),
    )
    .option('--orphan-resources', 'forget the cluster and its records at once and leave its resources in place (they are listed)')
    .action(async (kind: string, ref: string, options: { /** ms */ timeout: number; wait: boolean; orphanResources?: boolean }) => {
      if (kind !== 'cluster') throw kadendeError('KADENDE_ERR_ARGUMENT', `delete takes "cluster", got "${kind}"`);
      const waits = options.wait && !options.orphanResources;
      const progress = waits ? progressFor(machineOutput(), { title: `delete cluster ${ref}` }) : undefined;
      const result = await withService(globals(), async (s) => {
        const stopFollowing = followServerProgress(s, ref, progress);
        const done = await s.deleteCluster(ref, { timeoutMs: options.timeout, wait: options.wait, orphanResources: options.orphanResources, onProgress: progress?.update }).catch((error: unknown) => {
          stopFollowing();
          throw error;
        });
        stopFollowing(done.report);
        return done;
      }).finally(() => progress?.stop());
      out(result, () => {
        const name = `cluster ${result.clusterName} (${result.clusterId})`;
        if (result.orphaned) {
          const left = result.orphaned.map((o) => `  ${o.groupPath}: ${o.providerId ?? `${o.recordId} (never observed: it may or may not exist)`}`);
          return [`${name} forgotten; ${left.length} resource(s) left in place, no longer managed by Kadende${left.length > 0 ? ':' : ''}`, ...left].join('\n');
        }
        if (!result.deleted) return `${name} marked deleting; \`kadende reconcile ${result.clusterName}\` or a running daemon finishes the delete`;
        return `${name} deleted`;
      });
    });
}
