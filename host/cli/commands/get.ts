/** `kadende get clusters | resources CLUSTER`: listings. */
import type { Command } from 'commander';
import { kadendeError } from '../../../errors/index.js';
import { connect } from '@nats-io/transport-node';
import { listHosts } from '../../store/index.js';
import { storeUrl, withService } from '../context.js';
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
    .command('hosts')
    .description('with --store nats://: the hosts of the fleet and the clusters whose lease each holds')
    .action(async () => {
      const url = storeUrl(globals());
      if (!url) throw kadendeError('KADENDE_ERR_ARGUMENT', '`get hosts` lists the hosts sharing a NATS store: give --store nats://HOST:PORT (or KADENDE_STORE)');
      const nc = await connect({ servers: url });
      try {
        const hosts = await listHosts(nc);
        out(hosts, () => table(hosts.map((h) => ({ host: h.hostId, url: h.url ?? '', clusters: h.clusters.length, seen: h.at })), ['host', 'url', 'clusters', 'seen']));
      } finally {
        await nc.close();
      }
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
