/** `kadende daemon`: runs the host until SIGTERM or SIGINT, then shuts down in order and exits 0. */
import type { Command } from 'commander';
import { pino } from 'pino';
import { daemonToken } from '../../api/index.js';
import { daemonUrlPolicy } from '../../plugins/index.js';
import { startDaemon } from '../../daemon.js';
import { backoffFromEnv, dataDir, openLocal, storeUrl, writeDaemonFile } from '../context.js';
import { atLeast, parsedOption } from '../flags.js';
import { globals } from '../program.js';
import { kadendeError } from '../../../errors/index.js';

interface DaemonFlags {
  host: string;
  port: number;
  nats?: string;
  /** seconds, as are grace's */
  interval: number;
  concurrency: number;
  tokenFile?: string;
  grace: number;
  leaseTtl: number;
  hostId?: string;
  advertise?: string;
}

export function registerDaemon(program: Command): void {
  program
    .command('daemon')
    .description('keep every cluster converged, serve the HTTP API and publish events to NATS')
    .option('--host <address>', 'address the API listens on', '127.0.0.1')
    .addOption(parsedOption('--port <port>', 'API port (0: any free port)', atLeast(0), '7461'))
    .option('--nats <url>', 'NATS server for events (default: $KADENDE_NATS_URL; none: events stay in the local store)')
    .addOption(parsedOption('--interval <seconds>', 'seconds between reconciles of each cluster', atLeast(0.1), '30'))
    .addOption(parsedOption('--concurrency <n>', 'reconciles at once over all clusters', atLeast(1), '4'))
    .option('--token-file <file>', 'the API bearer token (default: $KADENDE_TOKEN, else <data-dir>/api-token, made if missing)')
    .addOption(parsedOption('--grace <seconds>', 'on SIGTERM/SIGINT: how long in-flight work may take to finish', atLeast(0), '10'))
    .addOption(parsedOption('--lease-ttl <seconds>', 'with --store nats://: how long a cluster lease lives unrenewed (renewed every third of it)', atLeast(0.3), '15'))
    .option('--host-id <id>', 'with --store nats://: this host\'s id in the fleet (default: hostname-pid-random)')
    .option('--advertise <url>', 'with --store nats://: the API URL other hosts forward requests to (default: the listen address; give it with --host 0.0.0.0)')
    .action(async (flags: DaemonFlags) => {
      const options = globals();
      const directory = dataDir(options);
      const logger = pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
      const { token, from } = daemonToken({ tokenFile: flags.tokenFile, dataDir: directory });
      logger.info({ dataDir: directory, token: from }, 'starting the kadende daemon');
      // The same plugin sources (local, registry, URL, cache) as every other command. The daemon
      // opens the store itself (with an outbox when it publishes) and closes both on stop().
      // Plugin URLs from API clients: http(s) only, unless KADENDE_ALLOW_FILE_PLUGIN_URLS=1.
      if (flags.advertise !== undefined && !/^https?:\/\/[^\s/]+\/?$/.test(flags.advertise)) {
        throw kadendeError('KADENDE_ERR_ARGUMENT', `--advertise takes the API's URL as other hosts reach it, such as http://10.0.0.5:7461, got "${flags.advertise}"`);
      }
      // Warm: a cluster's plugin threads start when it is applied or the daemon starts, not at its first pass.
      const { plugins } = await openLocal({ ...options, ...daemonUrlPolicy() }, ['plugins'], { warm: true });
      // Other commands on this data dir find the daemon by it (a locked store's error names its URL);
      // written before the daemon says ready, so a command started on that line finds it.
      let removeDaemonFile = () => {};
      const daemon = await startDaemon({
        dataDir: directory,
        storeUrl: storeUrl(options),
        hostId: flags.hostId,
        advertiseUrl: flags.advertise,
        leaseTtlMs: flags.leaseTtl * 1000,
        plugins,
        token,
        logger,
        host: flags.host,
        port: flags.port,
        natsUrl: flags.nats ?? (process.env.KADENDE_NATS_URL || undefined),
        intervalMs: flags.interval * 1000,
        concurrency: flags.concurrency,
        graceMs: flags.grace * 1000,
        reconcile: backoffFromEnv(),
        onListening: (url) => {
          removeDaemonFile = writeDaemonFile(directory, url);
        },
      });
      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => {
          logger.info({ signal }, 'signal received');
          process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
          resolve();
        };
        process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
      });
      removeDaemonFile();
      await daemon.stop();
      // Everything is closed; don't wait for stray timers of libraries.
      logger.flush();
      process.exit(0);
    });
}
