/**
 * Fencing a paused host: a real daemon holding a cluster is frozen with SIGSTOP in the middle of
 * a scale-up, past its lease; a second daemon takes the cluster over and finishes the work; the
 * first is resumed with SIGCONT. From then on it must write nothing (not one journal record, not
 * one event on the events stream) and start no plugin call: read on the journal, the events
 * stream and the provider (the audited plugin's directory and its log of every call started).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_STREAM, Fleet } from '../support/fleet.js';
import { until } from '../support/nats-server.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await Fleet.start({ leaseTtlSeconds: 2 });
  await fleet.apply(1, 3);
}, 60_000);
afterAll(async () => {
  await fleet?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the two hosts have written and done so far. */
async function footprint() {
  return {
    journal: await fleet.journal(),
    events: await fleet.stream(EVENTS_STREAM),
    files: fleet
      .files(0)
      .map((f) => f.id)
      .sort(),
    calls: fleet.calls(0).filter((c) => c.method !== 'describe').length,
  };
}

describe('a host paused past its lease (SIGSTOP) and resumed (SIGCONT)', () => {
  it('writes nothing and starts no plugin call once resumed: the host that took over did the work once', async () => {
    const [id] = fleet.ids;
    fleet.startDaemon('a');
    await until(async () => fleet.files(0).length === 3 && (await fleet.holders()).get(id!)?.join() === 'a', 30_000, 'a holds the cluster and converged it').catch(fleet.fail);
    fleet.startDaemon('b');
    await until(async () => (await fleet.hosts()).length === 2, 15_000, 'b announced itself').catch(fleet.fail);

    // a is mid-work when it freezes: a scale-up to 40, a few creates in.
    await fleet.resize(0, 40);
    await until(() => fleet.calls(0).filter((c) => c.method === 'create' && c.host === 'a').length >= 3, 20_000, 'a started creating').catch(fleet.fail);
    const a = fleet.daemons.get('a')!.child;
    a.kill('SIGSTOP');

    await until(async () => (await fleet.holders()).get(id!)?.join() === 'b', 15_000, 'b took the cluster over').catch(fleet.fail);
    await until(() => fleet.files(0).length === 40, 30_000, 'b converged the cluster').catch(fleet.fail);
    // Quiet: nothing written for a second and a half (b's converged passes write nothing).
    let before = await footprint();
    await until(
      async () => {
        await sleep(1500);
        const now = await footprint();
        const quiet = JSON.stringify(now) === JSON.stringify(before);
        before = now;
        return quiet;
      },
      20_000,
      'the fleet went quiet',
    ).catch(fleet.fail);

    const resumedAt = Date.now();
    a.kill('SIGCONT');
    // Two lease lifetimes, four pass intervals: every timer of a's fires, its frozen pass goes on.
    await sleep(4000);
    const after = await footprint();
    expect(a.exitCode).toBeNull();
    expect(after.journal).toEqual(before.journal);
    expect(after.events).toEqual(before.events);
    expect(after.files).toEqual(before.files);
    expect(fleet.calls(0).filter((c) => c.host === 'a' && c.at >= resumedAt)).toEqual([]);
    // The work was done once: 40 resources, one create token each, every one of them still there.
    const created = new Set(fleet.calls(0).filter((c) => c.method === 'create').map((c) => c.token));
    expect(created.size).toBe(40);
    expect(fleet.calls(0).filter((c) => c.method === 'delete')).toEqual([]);
    // And every committed event made it to the events stream once.
    expect(after.events.messages).toBeGreaterThanOrEqual(40);
  }, 150_000);
});
