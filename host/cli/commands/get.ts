/** `kadende get clusters | resources CLUSTER | hosts`: listings, with -o wide, json, yaml and --watch. */
import type { Command } from 'commander';
import { kadendeError } from '../../../errors/index.js';
import { connect } from '@nats-io/transport-node';
import { ApiClient, type KadendeOperations } from '../../api/index.js';
import { listHosts } from '../../store/index.js';
import { healthFromRecords, healthFromReport } from '../cluster-status.js';
import { storeUrl, withService } from '../context.js';
import { ago, table } from '../format.js';
import { globals, out } from '../program.js';
import { renderResources } from '../render.js';
import { watchListing } from './watch.js';

const KINDS = ['clusters', 'resources', 'hosts'];

/** Every cluster with its STATUS and READY (cluster-status.ts). */
async function clusterRows(s: KadendeOperations) {
  const summaries = await s.listClusters();
  return Promise.all(
    summaries.map(async (summary) => {
      const cluster = await s.cluster(summary.id);
      // A daemon knows what its last pass found (halted, describe failures); locally the records tell.
      const health = s instanceof ApiClient ? healthFromReport(cluster, (await s.lastStatus(summary.id)).report) : healthFromRecords(cluster, await s.listResources(summary.id));
      return { ...summary, ...health };
    }),
  );
}

export function registerGet(program: Command): void {
  const get = program
    .command('get')
    .description(`list ${KINDS.join(', ')}`)
    .argument('[kind]', KINDS.join(' | '))
    .action((kind?: string) => {
      // Reached only without a known kind (commander runs the subcommand otherwise).
      throw kadendeError('KADENDE_ERR_ARGUMENT', `get takes a kind: ${KINDS.join(', ')}${kind === undefined ? '' : `; got "${kind}"`}`);
    });
  get
    .command('clusters')
    .description('list every cluster, with its status and ready resources')
    .option('-w, --watch', 'print the list again whenever it changes, until Ctrl-C')
    .action(async (options: { watch?: boolean }) => {
      type Rows = Awaited<ReturnType<typeof clusterRows>>;
      const human = (rows: Rows, wide: boolean) =>
        table(
          rows.map((r) => ({ ...r, age: ago(r.updatedAt) })),
          wide ? ['name', 'status', 'ready', 'groups', 'resources', 'generation', 'id', 'updatedAt'] : ['name', 'status', 'ready', 'groups', 'resources', 'age'],
        );
      const look = () => withService(globals(), clusterRows);
      if (options.watch) return watchListing(look, (rows) => human(rows, false), (rows) => human(rows, true));
      const rows = await look();
      out(rows, () => human(rows, false), () => human(rows, true));
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
        const rows = hosts.map((h) => ({ host: h.hostId, url: h.url ?? '', clusters: h.clusters.length, seen: h.at, leases: h.clusters.join(',') }));
        out(hosts, () => table(rows, ['host', 'url', 'clusters', 'seen']), () => table(rows, ['host', 'url', 'clusters', 'seen', 'leases']));
      } finally {
        await nc.close();
      }
    });
  get
    .command('resources')
    .description("list a cluster's resource records")
    .argument('<cluster>', 'cluster id or name')
    .option('-w, --watch', 'print the list again whenever it changes, until Ctrl-C')
    .action(async (cluster: string, options: { watch?: boolean }) => {
      const look = () => withService(globals(), (s) => s.listResources(cluster));
      if (options.watch) return watchListing(look, (records) => renderResources(records), (records) => renderResources(records, { wide: true }));
      const records = await look();
      out(records, () => renderResources(records), () => renderResources(records, { wide: true }));
    });
}
