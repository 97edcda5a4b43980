/** `kadende describe cluster CLUSTER`: configuration, pins and live status per group. */
import type { Command } from 'commander';
import { withService } from '../context.js';
import { globals, out } from '../program.js';
import { renderCluster } from '../render.js';
import { kadendeError } from '../../../errors/index.js';

export function registerDescribe(program: Command): void {
  program
    .command('describe')
    .description('a cluster: its configuration, plugin pins and live status per group')
    .argument('<kind>', 'cluster')
    .argument('<cluster>', 'cluster id or name')
    .action(async (kind: string, ref: string) => {
      if (kind !== 'cluster') throw kadendeError('KADENDE_ERR_ARGUMENT', `describe takes "cluster", got "${kind}"`);
      const { cluster, report, holder } = await withService(globals(), async (s) => {
        const found = await s.cluster(ref);
        return { cluster: found, report: await s.plan(found.id), holder: await s.holder(found.id) };
      });
      out({ cluster, status: report, ...(holder ? { holder } : {}) }, () => renderCluster(cluster, report, holder));
    });
}
