/** `kadende get clusters | resources CLUSTER`: listings. */
import type { Command } from 'commander';
import { withService } from '../context.js';
import { table } from '../format.js';
import { globals, out } from '../program.js';
import { renderResources } from '../render.js';

export function registerGet(program: Command): void {
  const get = program.command('get').description('list clusters or resources');
  get
    .command('clusters')
    .description('list every cluster')
    .action(async () => {
      const clusters = await withService(globals(), (s) => s.listClusters());
      out(clusters, () => table(clusters as unknown as Array<Record<string, unknown>>, ['name', 'id', 'generation', 'groups', 'resources', 'deleting', 'updatedAt']));
    });
  get
    .command('resources')
    .description("list a cluster's resource records")
    .argument('<cluster>', 'cluster id or name')
    .action(async (cluster: string) => {
      const records = await withService(globals(), (s) => s.listResources(cluster));
      out(records, () => renderResources(records));
    });
}
