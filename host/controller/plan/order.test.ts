import { describe, expect, it } from 'vitest';
import type { ResourceRecord } from '../../../model/index.js';
import { byReplacementOrder, byScaleInOrder } from './order.js';
import type { Live } from './types.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');
/** A live record `minutesOld` old; ready, current and healthy unless told otherwise. */
const live = (id: string, minutesOld: number, over: Partial<Live> = {}): Live => ({
  record: { id, createdAt: new Date(NOW - minutesOld * 60_000).toISOString() } as ResourceRecord,
  ready: true,
  outdated: false,
  ...over,
});
const ids = (list: Live[]) => list.map((l) => l.record.id);

describe('scale-in order', () => {
  it('removes the unhealthy first, even when it is the oldest and current', () => {
    const list = [live('new', 1), live('sick', 90, { unhealthy: 'p-sick is unhealthy', ready: false }), live('outdated', 5, { outdated: true })];
    expect(ids(byScaleInOrder(list))[0]).toBe('sick');
  });

  it('then the outdated, before a current one that is not ready yet', () => {
    const list = [live('starting', 1, { ready: false }), live('outdated', 60, { outdated: true })];
    expect(ids(byScaleInOrder(list))).toEqual(['outdated', 'starting']);
  });

  it('then the not ready, before a newer ready one', () => {
    const list = [live('ready', 1), live('starting', 30, { ready: false })];
    expect(ids(byScaleInOrder(list))).toEqual(['starting', 'ready']);
  });

  it('then the newest: the oldest stays', () => {
    expect(ids(byScaleInOrder([live('old', 90), live('newest', 1), live('mid', 30)]))).toEqual(['newest', 'mid', 'old']);
  });

  it('applies all four at once, and leaves its input as it was', () => {
    const list = [
      live('old', 90),
      live('newest', 1),
      live('starting', 2, { ready: false }),
      live('outdated', 80, { outdated: true }),
      live('sick', 50, { unhealthy: 'p-sick is unhealthy', ready: false }),
    ];
    expect(ids(byScaleInOrder(list))).toEqual(['sick', 'outdated', 'starting', 'newest', 'old']);
    expect(ids(list)).toEqual(['old', 'newest', 'starting', 'outdated', 'sick']);
  });
});

describe('replacement order (rolling update of outdated resources)', () => {
  it('replaces a not ready one first: it costs no availability', () => {
    expect(ids(byReplacementOrder([live('ready', 90, { outdated: true }), live('starting', 1, { outdated: true, ready: false })]))).toEqual(['starting', 'ready']);
  });

  it('then the oldest first', () => {
    const list = [live('mid', 30, { outdated: true }), live('old', 90, { outdated: true }), live('new', 1, { outdated: true })];
    expect(ids(byReplacementOrder(list))).toEqual(['old', 'mid', 'new']);
  });

  it('orders the not ready among themselves oldest first too', () => {
    const list = [live('a', 1, { ready: false }), live('b', 10, { ready: false }), live('c', 5)];
    expect(ids(byReplacementOrder(list))).toEqual(['b', 'a', 'c']);
  });
});
