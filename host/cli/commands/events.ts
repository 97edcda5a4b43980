/** `kadende events CLUSTER`: stored events, oldest first; --follow (follow.ts) keeps printing new ones. */
import type { Command } from 'commander';
import { withService } from '../context.js';
import { eventId, parsedOption, positiveInteger } from '../flags.js';
import { globals, out } from '../program.js';
import { renderEvents } from '../render.js';
import { followEvents } from './follow.js';

export function registerEvents(program: Command): void {
  program
    .command('events')
    .description("a cluster's events, oldest first")
    .argument('<cluster>', 'cluster id or name')
    .addOption(parsedOption('--limit <n>', 'the newest N events', positiveInteger, '50'))
    .addOption(parsedOption('--after <event-id>', 'only events after this one', eventId))
    .option('--follow', 'then print new events as they happen (from --server, or live from NATS with --nats URL)')
    .option('--nats <url>', 'with --follow: read live events from this NATS server (default: $KADENDE_NATS_URL)')
    .action(async (cluster: string, options: { limit: number; after?: string; follow?: boolean; nats?: string }) => {
      const { limit } = options;
      if (options.follow) return followEvents(cluster, { limit, after: options.after, nats: options.nats });
      const events = await withService(globals(), async (s) =>
        options.after ? s.listEvents(cluster, { after: options.after, limit }) : (await s.listEvents(cluster, { limit, reverse: true })).reverse(),
      );
      out(events, () => renderEvents(events), () => renderEvents(events, { wide: true }));
    });
}
