/**
 * `kadende events CLUSTER --follow`: the recent events, then new ones as they
 * happen, from a daemon's API (Server-Sent Events) or, with --nats URL,
 * straight from the JetStream stream the daemon publishes to.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { exponentialBackoff } from '@kadende/plugin-sdk';
import { ApiClient, type KadendeOperations } from '../../api/index.js';
import { clientToken } from '../../api/index.js';
import type { KadendeEvent } from '../../../model/index.js';
import { DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX } from '../../events/index.js';
import { dataDir, runningDaemon, serverUrl, withService } from '../context.js';
import { globals } from '../program.js';
import { KadendeError, kadendeError, hasCode } from '../../../errors/index.js';

function print(event: KadendeEvent): void {
  const output = globals().output;
  if (output === 'yaml') {
    // A stream of YAML documents, one per event.
    process.stdout.write(`---\n${stringify(event)}`);
    return;
  }
  const line =
    output === 'json'
      ? JSON.stringify(event)
      : [event.time, event.type.replace(/^io\.kadende\./, ''), event.subject.split('/').slice(1).join('/') || '-', event.data.cause].join('  ');
  process.stdout.write(`${line}\n`);
}

/** Aborts on SIGINT/SIGTERM: following ends normally (exit 0) when the operator stops it. */
export function interruption(): AbortController {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop).once('SIGTERM', stop);
  return controller;
}

/** The daemon answered and said no (4xx): retrying cannot help. An unreachable daemon, a cut stream or a 5xx can. */
function refused(error: unknown): boolean {
  return (
    error instanceof KadendeError &&
    error.code !== 'KADENDE_ERR_SERVER_UNREACHABLE' &&
    error.code !== 'KADENDE_ERR_STREAM_CUT' &&
    error.statusCode < 500
  );
}

export async function followEvents(ref: string, options: { limit: number; after?: string; nats?: string }): Promise<void> {
  const globalOptions = globals();
  const server = serverUrl(globalOptions);
  const nats = options.nats ?? (server ? undefined : process.env.KADENDE_NATS_URL || undefined);
  if (nats) return followNats(ref, nats, options);
  if (!server) {
    throw kadendeError('KADENDE_ERR_ARGUMENT', '--follow needs a running daemon (--server URL or KADENDE_SERVER) or a NATS server (--nats URL)');
  }
  const client = new ApiClient(server, clientToken({ tokenFile: globalOptions.tokenFile, dataDir: dataDir(globalOptions) }));
  const controller = interruption();
  try {
    const recent = options.after
      ? await client.listEvents(ref, { after: options.after, limit: options.limit })
      : (await client.listEvents(ref, { limit: options.limit, reverse: true })).reverse();
    recent.forEach(print);
    let after = recent.at(-1)?.id ?? options.after;
    // A daemon that restarts or crashes ends or cuts the stream, then refuses connections for a
    // while: resume after the last event printed, so nothing is missed or shown twice. Only the
    // daemon's own refusal (a bad token, an unknown cluster) ends following with its error.
    for (let retry = 0; !controller.signal.aborted; ) {
      try {
        for await (const event of client.follow(ref, { after, signal: controller.signal })) {
          print(event);
          after = event.id;
          retry = 0;
        }
        if (controller.signal.aborted) break;
        process.stderr.write(`kadende: the daemon at ${server} ended the event stream; resuming\n`);
      } catch (error) {
        if (controller.signal.aborted) break;
        if (refused(error)) throw error;
        if (retry === 0) process.stderr.write(`kadende: ${(error as Error).message}; retrying until it answers (Ctrl-C to stop)\n`);
      }
      retry += 1;
      await sleep(exponentialBackoff(retry, 250, 10_000, 6), undefined, { signal: controller.signal }).catch(() => {});
    }
  } finally {
    await client.close();
  }
}

/**
 * The cluster's id (the NATS subject carries it) and its recent events: from the store, else from
 * the daemon that holds it (its URL in <data-dir>/daemon.json). A name is never taken for an id.
 */
async function recentEvents(ref: string, options: { limit: number; after?: string }): Promise<{ clusterId: string; recent: KadendeEvent[] }> {
  const list = async (s: KadendeOperations) => ({
    clusterId: (await s.cluster(ref)).id,
    recent: options.after ? await s.listEvents(ref, { after: options.after, limit: options.limit }) : (await s.listEvents(ref, { limit: options.limit, reverse: true })).reverse(),
  });
  try {
    return await withService(globals(), list);
  } catch (error) {
    if (!hasCode(error, 'KADENDE_ERR_STORE_LOCKED')) throw error;
  }
  const daemon = runningDaemon(dataDir(globals()));
  if (!daemon) {
    throw kadendeError('KADENDE_ERR_ARGUMENT', `cannot look up cluster "${ref}": its store is in use and no daemon of this data dir answers; give --server URL`);
  }
  const client = new ApiClient(daemon.url, clientToken({ tokenFile: globals().tokenFile, dataDir: dataDir(globals()) }));
  try {
    return await list(client);
  } finally {
    await client.close();
  }
}

async function followNats(ref: string, url: string, options: { limit: number; after?: string }): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { DeliverPolicy, jetstream } = await import('@nats-io/jetstream');
  const { clusterId, recent } = await recentEvents(ref, options);
  recent.forEach(print);
  const printed = new Set(recent.map((e) => e.id));
  const since = recent.at(-1)?.time;
  const controller = interruption();
  let nc;
  try {
    nc = await connect({ servers: url, reconnect: true, maxReconnectAttempts: -1 });
  } catch (error) {
    throw kadendeError('KADENDE_ERR_NATS_UNREACHABLE', url, (error as Error).message).with({ cause: error });
  }
  try {
    // From the last event printed on (nothing missed between the listing and the subscription), skipping what was printed.
    const consumer = await jetstream(nc).consumers.get(DEFAULT_STREAM, {
      filter_subjects: `${DEFAULT_SUBJECT_PREFIX}.${clusterId}.>`,
      ...(since ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: since } : { deliver_policy: DeliverPolicy.New }),
    });
    const messages = await consumer.consume();
    controller.signal.addEventListener('abort', () => void messages.close());
    for await (const message of messages) {
      const event = message.json<KadendeEvent>();
      if (!printed.has(event.id)) print(event);
    }
  } finally {
    await nc.close();
  }
}
