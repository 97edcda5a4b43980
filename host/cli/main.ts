#!/usr/bin/env node
/**
 * The `kadende` command. Exit codes: 0 success, 1 failure, 2 invalid input
 * (bad arguments, an invalid configuration, a name already taken).
 */
import { readFile } from 'node:fs/promises';
import { CommanderError } from 'commander';
import { ConfigError } from '../config/errors.js';
import { KadendeError, invalidInput } from '../errors.js';
import { withService } from './context.js';
import { renderCluster, renderEvents, renderReport, renderResources } from './render.js';
import { table } from './format.js';
import { globals, out, program } from './program.js';
import { registerPluginCommands } from './commands/plugin.js';
import { registerRegistryCommands } from './commands/registry.js';
import { registerDaemon } from './commands/daemon.js';
import { followEvents } from './commands/follow.js';

async function readConfig(file: string): Promise<string> {
  try {
    return file === '-' ? await readFile('/dev/stdin', 'utf8') : await readFile(file, 'utf8');
  } catch (error) {
    throw invalidInput('KADENDE_ERR_CONFIG_READ', `cannot read ${file}: ${(error as Error).message}`);
  }
}

const seconds = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw invalidInput('KADENDE_ERR_ARGUMENT', `--timeout takes a number of seconds, got "${value}"`);
  return n * 1000;
};

program
  .command('apply')
  .description('validate a cluster configuration and store it (create or update); prints the cluster id')
  .requiredOption('-f, --file <file>', 'the configuration (YAML or JSON; - for stdin)')
  .option('--upgrade-plugins', 're-resolve every plugin to the newest version the configuration allows')
  .action(async (options: { file: string; upgradePlugins?: boolean }) => {
    const text = await readConfig(options.file);
    const result = await withService(globals(), (s) => s.apply(text, options.file, { upgradePlugins: options.upgradePlugins }));
    const verb = result.created ? 'created' : result.changed ? 'updated' : 'unchanged';
    if (globals().output !== 'json') process.stderr.write(`cluster ${result.cluster.name} ${verb} (generation ${result.cluster.generation})\n`);
    out({ id: result.cluster.id, name: result.cluster.name, result: verb, generation: result.cluster.generation, pins: result.cluster.pins }, () => result.cluster.id);
  });

program
  .command('plan')
  .description('show what a reconcile would do now, without doing it')
  .argument('[cluster]', 'a stored cluster, by id or name')
  .option('-f, --file <file>', 'a configuration that is not applied yet')
  .action(async (cluster: string | undefined, options: { file?: string }) => {
    if ((cluster === undefined) === (options.file === undefined)) {
      throw invalidInput('KADENDE_ERR_ARGUMENT', 'plan takes either a CLUSTER or -f FILE');
    }
    const target = options.file ? { text: await readConfig(options.file), file: options.file } : cluster!;
    const report = await withService(globals(), (s) => s.plan(target));
    out(report, () => renderReport(report, 'Plan for'));
  });

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
    if (report.groups.some((g) => g.status?.reason === 'describe-failed')) process.exitCode = 1;
  });

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

program
  .command('describe')
  .description('a cluster: its configuration, plugin pins and live status per group')
  .argument('<kind>', 'cluster')
  .argument('<cluster>', 'cluster id or name')
  .action(async (kind: string, ref: string) => {
    if (kind !== 'cluster') throw invalidInput('KADENDE_ERR_ARGUMENT', `describe takes "cluster", got "${kind}"`);
    const { cluster, report } = await withService(globals(), async (s) => {
      const found = await s.cluster(ref);
      return { cluster: found, report: await s.plan(found.id) };
    });
    out({ cluster, status: report }, () => renderCluster(cluster, report));
  });

program
  .command('events')
  .description("a cluster's events, oldest first")
  .argument('<cluster>', 'cluster id or name')
  .option('--limit <n>', 'the newest N events', '50')
  .option('--after <event-id>', 'only events after this one')
  .option('--follow', 'then print new events as they happen (from --server, or live from NATS with --nats URL)')
  .option('--nats <url>', 'with --follow: read live events from this NATS server (default: $KADENDE_NATS_URL)')
  .action(async (cluster: string, options: { limit: string; after?: string; follow?: boolean; nats?: string }) => {
    const limit = Number(options.limit);
    if (!Number.isInteger(limit) || limit <= 0) throw invalidInput('KADENDE_ERR_ARGUMENT', `--limit takes a positive integer, got "${options.limit}"`);
    if (options.follow) return followEvents(cluster, { limit, after: options.after, nats: options.nats });
    const events = await withService(globals(), async (s) =>
      options.after ? s.listEvents(cluster, { after: options.after, limit }) : (await s.listEvents(cluster, { limit, reverse: true })).reverse(),
    );
    out(events, () => renderEvents(events));
  });

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

registerPluginCommands(program);
registerRegistryCommands(program);
registerDaemon(program);

function fail(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and --version are not failures; everything else commander rejects is invalid input.
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? 0 : 2;
  }
  const code = (error as { code?: string }).code ?? 'KADENDE_ERR_UNEXPECTED';
  const exitCode = error instanceof ConfigError ? 2 : error instanceof KadendeError ? error.exitCode : 1;
  if (globals().output === 'json') {
    process.stderr.write(`${JSON.stringify({ error: { code, message: (error as Error).message, issues: (error as ConfigError).issues } })}\n`);
  } else {
    process.stderr.write(`kadende: ${(error as Error).message} [${code}]\n`);
    if (!(error instanceof KadendeError) && !(error instanceof ConfigError) && process.env.KADENDE_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
  }
  return exitCode;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = fail(error);
}
