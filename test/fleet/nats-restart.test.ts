/**
 * The nats-server dies (SIGKILL) and comes back on its store dir while three daemons are busy
 * scaling nine clusters up. Afterwards every cluster converges, nothing is provisioned twice (one
 * create token per resource at the provider, never more resources than the size), and every
 * event the journal holds is on the events stream exactly once, in journal order per cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOURNAL_STREAM } from '../../host/store/index.js';
import type { KadendeEvent } from '../../model/index.js';
import { EVENTS_STREAM, Fleet } from '../support/fleet.js';
import { readStream, until } from '../support/nats-server.js';

const CLUSTERS = 9;
const SIZE = 4;
let fleet: Fleet;

beforeAll(async () => {
  fleet = await Fleet.start({ leaseTtlSeconds: 2, sharedDirectory: true });
  await fleet.apply(CLUSTERS, 1);
  fleet.watchOvershoot(SIZE);
}, 120_000);
afterAll(async () => {
  await fleet?.stop();
});

const converged = () => fleet.converged(SIZE);

describe('a NATS restart under three busy hosts', () => {
  it('converges every cluster, provisions nothing twice, and loses or repeats no event', async () => {
    for (const h of ['h1', 'h2', 'h3']) fleet.startDaemon(h);
    await until(async () => (await fleet.holders()).size === CLUSTERS && fleet.converged(1), 60_000, 'the first resources').catch(fleet.fail);
    for (let i = 0; i < CLUSTERS; i++) await fleet.resize(i, SIZE);
    await until(() => fleet.calls(0).filter((c) => c.method === 'create').length >= CLUSTERS + 6, 30_000, 'the scale-up under way').catch(fleet.fail);
    await fleet.nats.halt('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await fleet.nats.resume();
    const restartedAt = Date.now();

    await until(converged, 90_000, 'every cluster converged after the restart').catch(fleet.fail);
    console.log(`converged ${Date.now() - restartedAt} ms after the restart`);
    for (const id of fleet.ids) {
      const tokens = fleet.calls(0).filter((c) => c.cluster === id && c.method === 'create').map((c) => c.token);
      expect(new Set(tokens).size, id).toBe(SIZE);
    }
    expect(fleet.calls(0).filter((c) => c.method === 'delete')).toEqual([]);
    expect(fleet.overshoot).toBe('');

    // Every event of the journal, once, on the events stream: in journal order for each cluster.
    // The provider converges before the last pass that spanned the outage has committed its events
    // (a late "created on attempt 2", "reconcile.completed"): read the journal once it stops growing,
    // or the stream holds events the read missed.
    let journal = await fleet.journal();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const now = await fleet.journal();
      if (now.messages === journal.messages) break;
      journal = now;
    }
    const entries = await readStream(fleet.nats.url, 'kadende.journal.>', journal.messages, { stream: JOURNAL_STREAM, settleMs: 500 });
    const committed = entries.flatMap((m) => (m.data as { events?: KadendeEvent[] }).events ?? []);
    await until(async () => (await fleet.stream(EVENTS_STREAM)).messages >= committed.length, 30_000, `all ${committed.length} events published`).catch(fleet.fail);
    const published = await readStream(fleet.nats.url, 'kadende.events.>', committed.length, { settleMs: 1500 });
    expect(published.length).toBe(committed.length);
    for (const id of fleet.ids) {
      const order = (list: Array<{ id: string; clusterId: string }>) => list.filter((e) => e.clusterId === id).map((e) => e.id);
      expect(order(published.map((m) => ({ id: m.msgID!, clusterId: (m.data as KadendeEvent).data.clusterId }))), id).toEqual(
        order(committed.map((e) => ({ id: e.id, clusterId: e.data.clusterId }))),
      );
    }
  }, 240_000);
});
