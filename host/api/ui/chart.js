// Each group's desired and ready resources over time, as plain SVG. The points come from the
// stored `io.kadende.reconcile.completed` events (each carries every group's status as that pass
// found it) and end with the daemon's last pass, drawn up to now.
import { absoluteTime } from './format.js';

const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 600;
const HEIGHT = 130;
const PAD = { left: 34, right: 12, top: 10, bottom: 24 };

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

/** `{ time, desired, ready }` of one group's status; ready is null when the pass could not see the group. */
const pointOf = (time, status) => ({ time, desired: status.desired, ready: typeof status.healthy === 'number' ? status.healthy : null });

/**
 * Per current group path, its points oldest first: one per reconcile.completed event (given newest
 * or oldest first) that names the group, then the last pass's status at `lastPassAt`.
 */
export function groupHistory(reconcileEvents, report, lastPassAt) {
  const history = new Map();
  for (const group of report.groups) if (!group.retired && group.status) history.set(group.path, []);
  const events = [...reconcileEvents].sort((a, b) => a.time.localeCompare(b.time));
  for (const event of events) {
    for (const group of event.data?.groups ?? []) {
      if (group.status && history.has(group.path)) history.get(group.path).push(pointOf(event.time, group.status));
    }
  }
  for (const group of report.groups) if (history.has(group.path)) history.get(group.path).push(pointOf(lastPassAt, group.status));
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
