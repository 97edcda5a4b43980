// Each group's desired and ready resources over time, as plain SVG, derived from the stored
// events. A `reconcile.completed` event carries every group's status as its pass left it, after
// acting (desired, ready), at the event's time: an anchor. Between anchors the resource events move the ready count:
// a resource created or observed active is ready, one lost, deleted or no longer active is not. The
// series ends with the daemon's last pass, drawn up to now.
import { absoluteTime } from './format.js';

const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 600;
const HEIGHT = 130;
const PAD = { left: 34, right: 12, top: 10, bottom: 24 };
const ANCHOR = 'io.kadende.reconcile.completed';

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

const readyOf = (status) => (typeof status.healthy === 'number' ? status.healthy : null);

/**
 * What a resource event makes of its resource (`ready`, `not-ready` or `gone`), and whether the
 * resource counted as ready before when this window has not seen it yet. Orphans never counted.
 */
const TRANSITIONS = {
  'io.kadende.resource.created': { to: (d) => (d.status === 'active' ? 'ready' : 'not-ready'), unseenWasReady: () => false },
  // Written when a resource's status changes: an unseen one had the other status.
  'io.kadende.resource.observed': { to: (d) => (d.status === 'active' ? 'ready' : 'not-ready'), unseenWasReady: (d) => d.status !== 'active' },
  'io.kadende.resource.failed': { to: () => 'not-ready', unseenWasReady: () => false },
  // A ready resource is deleted only after a `deleting` event: an unseen one being deleted was ready unless it is replaced for being unhealthy.
  'io.kadende.resource.deleting': { to: () => 'gone', unseenWasReady: (d) => d.reason !== 'unhealthy' && d.reason !== 'retry' },
  'io.kadende.resource.deleted': { to: () => 'gone', unseenWasReady: () => false },
  // Lost: observed once, now missing.
  'io.kadende.resource.lost': { to: () => 'gone', unseenWasReady: () => true },
};

/**
 * Per current group path, its points `{ time, desired, ready }` oldest first (ready is null while
 * the group could not be seen), from events given in any order, then the last pass's status at
 * `lastPassAt`. A group's series starts at its first anchor: before it the count is unknown.
 */
export function groupHistory(events, report, lastPassAt) {
  const tracks = new Map();
  for (const group of report.groups) if (!group.retired && group.status) tracks.set(group.path, { points: [], desired: undefined, ready: null, seen: new Map(), early: [] });
  const timeOf = (e) => e.time;
  // Event ids are time-ordered: a pass's resource events come before its reconcile.completed.
  const ordered = [...events].sort((a, b) => timeOf(a).localeCompare(timeOf(b)) || a.id.localeCompare(b.id));
  /** Moves a track's ready count by one resource event; answers whether it changed. */
  const apply = (track, event) => {
    const transition = TRANSITIONS[event.type];
    const id = event.data.resourceId;
    const before = track.seen.get(id);
    const wasReady = before === undefined ? transition.unseenWasReady(event.data) : before === 'ready';
    const now = transition.to(event.data);
    track.seen.set(id, now);
    const ready = Math.max(0, track.ready + (now === 'ready' ? 1 : 0) - (wasReady ? 1 : 0));
    if (ready === track.ready) return false;
    track.ready = ready;
    return true;
  };
  for (const event of ordered) {
    if (event.type === ANCHOR) {
      for (const group of event.data?.groups ?? []) {
        const track = tracks.get(group.path);
        if (!track || !group.status) continue;
        const ready = readyOf(group.status);
        if (track.desired === undefined && ready !== null && event.data.startedAt) {
          // The first anchor: the count at its pass's start is what its own resource events had not yet done.
          const during = track.early.filter((e) => timeOf(e) >= event.data.startedAt);
          const probe = { ready: 1_000_000, seen: new Map() };
          for (const e of during) apply(probe, e);
          Object.assign(track, { desired: group.status.desired, ready: Math.max(0, ready - (probe.ready - 1_000_000)), seen: new Map() });
          track.points.push({ time: event.data.startedAt, desired: track.desired, ready: track.ready });
          for (const e of during) if (apply(track, e)) track.points.push({ time: e.time, desired: track.desired, ready: track.ready });
        }
        track.early = [];
        Object.assign(track, { desired: group.status.desired, ready, seen: new Map() });
        track.points.push({ time: timeOf(event), desired: track.desired, ready: track.ready });
      }
      continue;
    }
    const transition = TRANSITIONS[event.type];
    const track = tracks.get(event.data?.groupPath);
    if (!transition || !track || !event.data?.resourceId || event.data.reason === 'orphan') continue;
    if (track.desired === undefined) {
      track.early.push(event);
      continue;
    }
    if (track.ready === null) continue;
    if (apply(track, event)) track.points.push({ time: event.time, desired: track.desired, ready: track.ready });
  }
  const history = new Map();
  for (const group of report.groups) {
    const track = tracks.get(group.path);
    if (!track) continue;
    history.set(group.path, [...track.points, { time: lastPassAt, desired: group.status.desired, ready: readyOf(group.status) }]);
  }
  return history;
}

/** A step line through the points that have `key`, held to the right edge (the value stands until now). */
function stepPath(points, key, x, y, end) {
  const known = points.filter((p) => p[key] !== null && p[key] !== undefined);
  if (known.length === 0) return '';
  let d = `M${x(known[0].time).toFixed(1)},${y(known[0][key]).toFixed(1)}`;
  for (const p of known.slice(1)) d += ` H${x(p.time).toFixed(1)} V${y(p[key]).toFixed(1)}`;
  return `${d} H${end.toFixed(1)}`;
}

/** The chart of one group: dashed desired, solid ready, from its first point to `now`. */
export function historyChart(path, points, now = Date.now()) {
  // From the first point to now (at least 10 s, so that steps made at once stay apart).
  const start = Math.min(now - 10_000, ...points.map((p) => Date.parse(p.time)).filter(Number.isFinite));
  const span = Math.max(1, now - start);
  const top = Math.max(1, ...points.map((p) => Math.max(p.desired ?? 0, p.ready ?? 0)));
  const x = (time) => PAD.left + ((Date.parse(time) - start) / span) * (WIDTH - PAD.left - PAD.right);
  const y = (value) => HEIGHT - PAD.bottom - (value / top) * (HEIGHT - PAD.top - PAD.bottom);
  const right = WIDTH - PAD.right;
  const last = points.at(-1);
  const readyValues = points.map((p) => (p.ready === null ? '' : p.ready)).join(',');
  const summary = `${path}: desired ${last?.desired ?? '-'}, ready ${last?.ready ?? '-'} now; ${points.length} point(s) since ${absoluteTime(new Date(start).toISOString())}`;
  return svg(
    'svg',
    { class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': summary, 'data-group': path },
    svg('title', {}, `${path}: desired and ready resources over time`),
    svg('desc', {}, summary),
    svg('line', { class: 'axis', x1: PAD.left, y1: y(0), x2: right, y2: y(0) }),
    svg('line', { class: 'grid', x1: PAD.left, y1: y(top), x2: right, y2: y(top) }),
    svg('text', { class: 'label', x: PAD.left - 6, y: y(0) + 4, 'text-anchor': 'end' }, '0'),
    svg('text', { class: 'label', x: PAD.left - 6, y: y(top) + 4, 'text-anchor': 'end' }, String(top)),
    svg('text', { class: 'label', x: PAD.left, y: HEIGHT - 6 }, absoluteTime(new Date(start).toISOString())),
    svg('text', { class: 'label', x: right, y: HEIGHT - 6, 'text-anchor': 'end' }, 'now'),
    svg('path', { class: 'desired', d: stepPath(points, 'desired', x, y, right), 'data-values': points.map((p) => p.desired).join(',') }),
    svg('path', { class: 'ready', d: stepPath(points, 'ready', x, y, right), 'data-values': readyValues }),
  );
}
