// The cluster's events, newest first: filtered by type and group on the daemon (the events
// route's `type` and `group`), older pages on request ("load more", `before`), live ones on top.
import { enc, listEvents } from './api.js';
import { el } from './dom.js';
import { timeElement } from './format.js';

const PAGE = 50;
const LIVE_KEPT = 1000;

/** The event types of model/events.ts, without their common prefix. */
export const EVENT_TYPES = [
  'cluster.applied', 'cluster.deleting', 'cluster.deleted',
  'resource.creating', 'resource.created', 'resource.create-failed', 'resource.failed', 'resource.observed',
  'resource.deleting', 'resource.deleted', 'resource.delete-failed', 'resource.lost',
  'group.halted', 'group.describe-failed', 'reconcile.completed',
];
const PREFIX = 'io.kadende.';

/** Every group path and the branches above it: `workers/queue` gives `workers` and `workers/queue`. */
function groupChoices(paths) {
  const choices = new Set();
  for (const path of paths) {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) choices.add(parts.slice(0, i).join('/'));
  }
  return [...choices].sort();
}

function eventItem(event) {
  const groupPath = event.data?.groupPath;
  const resource = event.subject.split('/').slice(groupPath ? 1 + groupPath.split('/').length : 1).join('/');
  return el(
    'li',
    { 'data-id': event.id, 'data-type': event.type },
    timeElement(event.time, { withAbsolute: true }),
    el('span', { class: 'type' }, event.type.replace(PREFIX, '')),
    el('span', { class: 'muted subject' }, [groupPath, resource].filter(Boolean).join(' / ')),
    el('div', { class: 'cause' }, event.data?.cause ?? ''),
  );
}

export class EventsPanel {
  constructor({ list, more, type, group, onError }) {
    Object.assign(this, { list, more, type, group, onError });
    this.ref = undefined;
    this.type.replaceChildren(el('option', { value: '' }, 'all types'), ...EVENT_TYPES.map((t) => el('option', { value: PREFIX + t }, t)));
    this.type.addEventListener('change', () => this.reload().catch(onError));
    this.group.addEventListener('change', () => this.reload().catch(onError));
    this.more.addEventListener('click', () => this.loadOlder().catch(onError));
  }

  /** Shows the events of another cluster, with no filter. */
  open(ref) {
    this.ref = ref;
    this.type.value = '';
    this.setGroups([]);
    return this.reload();
  }

  setGroups(paths) {
    const chosen = this.group.value;
    const choices = groupChoices(paths);
    const current = [...this.group.options].map((o) => o.value).slice(1);
    if (current.join('\n') === choices.join('\n')) return;
    this.group.replaceChildren(el('option', { value: '' }, 'all groups'), ...choices.map((g) => el('option', { value: g }, g)));
    this.group.value = choices.includes(chosen) ? chosen : '';
  }

  matches(event) {
    const { type, group } = { type: this.type.value, group: this.group.value };
    if (type && event.type !== type) return false;
    const path = event.data?.groupPath;
    return !group || (path !== undefined && (path === group || path.startsWith(`${group}/`)));
  }

  async page(before) {
    const query = new URLSearchParams({ reverse: 'true', limit: String(PAGE) });
    if (this.type.value) query.set('type', this.type.value);
    if (this.group.value) query.set('group', this.group.value);
    if (before) query.set('before', before);
    return listEvents(`/v1/clusters/${enc(this.ref)}/events?${query}`);
  }

  async reload() {
    const ref = this.ref;
    const events = await this.page();
    if (ref !== this.ref) return;
    this.list.replaceChildren(...events.map(eventItem));
    this.more.hidden = events.length < PAGE;
  }

  async loadOlder() {
    const ref = this.ref;
    const oldest = this.list.lastElementChild?.dataset.id;
    this.more.disabled = true;
    try {
      const events = await this.page(oldest);
      if (ref !== this.ref) return;
      this.list.append(...events.filter((e) => !this.has(e.id)).map(eventItem));
      this.more.hidden = events.length < PAGE;
    } finally {
      this.more.disabled = false;
    }
  }

  has(id) {
    return this.list.querySelector(`[data-id="${CSS.escape(id)}"]`) !== null;
  }

  /** A live event, shown on top when it passes the filter. */
  live(event) {
    if (!this.matches(event) || this.has(event.id)) return;
    this.list.prepend(eventItem(event));
    // A tab left open for days keeps a bounded list: the oldest shown go back behind "load more".
    if (this.list.children.length > LIVE_KEPT) {
      while (this.list.children.length > LIVE_KEPT) this.list.lastElementChild.remove();
      this.more.hidden = false;
    }
  }
}
