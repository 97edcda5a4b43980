/** `kadende daemon`: runs the host until SIGTERM or SIGINT, then shuts down in order and exits 0. */
import type { Command } from 'commander';
import { pino } from 'pino';
import { daemonToken } from '../../api/index.js';
import { startDaemon } from '../../daemon.js';
import { PluginHost, distributionSources, PluginResolver } from '../../plugins/index.js';
import { backoffFromEnv, dataDir } from '../context.js';
import { globals } from '../program.js';
import { kadendeError } from '../../../errors/index.js';

interface DaemonFlags {
  host: string;
  port: string;
  nats?: string;
  interval: string;
  concurrency: string;
  tokenFile?: string;
  grace: string;
}

function number(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw kadendeError('KADENDE_ERR_ARGUMENT', `${flag} takes a number >= ${min}, got "${value}"`);
  return n;
}

export function registerDaemon(program: Command): void {
  program
    .command('daemon')
    .description('keep every cluster converged, serve the HTTP API and publish events to NATS')
    .option('--host <address>', 'address the API listens on', '127.0.0.1')
    .option('--port <port>', 'API port (0: any free port)', '7461')
    .option('--nats <url>', 'NATS server for events (default: $KADENDE_NATS_URL; none: events stay in the local store)')
    .option('--interval <seconds>', 'seconds between reconciles of each cluster', '30')
    .option('--concurrency <n>', 'reconciles at once over all clusters', '4')
    .option('--token-file <file>', 'the API bearer token (default: $KADENDE_TOKEN, else <data-dir>/api-token, made if missing)')
    .option('--grace <seconds>', 'on SIGTERM/SIGINT: how long in-flight work may take to finish', '10')
    .action(async (flags: DaemonFlags) => {
      const options = globals();
      const directory = dataDir(options);
      const logger = pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
      const { token, from } = daemonToken({ tokenFile: flags.tokenFile, dataDir: directory });
      logger.info({ dataDir: directory, token: from }, 'starting the kadende daemon');
      const daemon = await startDaemon({
        dataDir: directory,
        // The same plugin sources (local, registry, URL, cache) as every other command.
        plugins: new PluginHost(new PluginResolver(distributionSources(options).sources)),
        token,
        logger,
        host: flags.host,
        port: number('--port', flags.port, 0),
        natsUrl: flags.nats ?? (process.env.KADENDE_NATS_URL || undefined),
        intervalMs: number('--interval', flags.interval, 0.1) * 1000,
        concurrency: number('--concurrency', flags.concurrency, 1),
        graceMs: number('--grace', flags.grace, 0) * 1000,
        reconcile: backoffFromEnv(),
      });
      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => {
          logger.info({ signal }, 'signal received');
          process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
          resolve();
        };
        process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
      });
      await daemon.stop();
      // Everything is closed; don't wait for stray timers of libraries.
      logger.flush();
      process.exit(0);
    });
}
