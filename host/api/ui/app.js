// The Kadende web UI: clusters with their health, each cluster's groups (why one is not
// converged), history, resources and events. Plain ES modules, no build step. Routes live in the
// fragment (#/clusters/NAME), so a link survives a reload and the back button walks them. The
// token stays in this tab's sessionStorage; it can arrive in the fragment (#token=...), which
// browsers never send to a server.
import { api, authorized, enc, listEvents, token, Unauthorized } from './api.js';
import { groupHistory, historyChart } from './chart.js';
import { cell, el, fillTable, pill } from './dom.js';
import { EventsPanel } from './events.js';
import { absoluteTime, age, plural, refreshAges } from './format.js';

const $ = (selector) => document.querySelector(selector);
const state = { ref: undefined, clusterId: undefined, follow: undefined, lastEventId: undefined, refreshTimer: undefined, history: [] };

/** Pill colour by status reason; the reason and message come from the daemon's pass. */
const REASON_KIND = { converged: 'ok', progressing: 'warn', waiting: 'warn', halted: 'bad', 'creates-failed': 'bad', 'describe-failed': 'bad' };
const kindOf = (reason) => REASON_KIND[reason] ?? 'warn';

const clusterPath = (name) => `#/clusters/${enc(name)}`;

/** The cluster a fragment names, or undefined (the list alone). */
function routedCluster() {
  const match = /^#\/clusters\/([^/]+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : undefined;
}

function setConnection(text, kind) {
  const connection = $('#connection');
  connection.textContent = text;
  connection.className = `pill ${kind ?? ''}`;
}

function showLogin(message) {
  state.follow?.abort();
  state.ref = undefined;
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message ?? '';
  setConnection('not connected', 'bad');
}

function report(error) {
  if (error instanceof Unauthorized) return showLogin(error.message);
  setConnection(error.message, 'bad');
}

/** A cluster's health from a pass's report: ready of desired over its current groups, and one state. */
function clusterHealth(passReport) {
  const groups = passReport.groups.filter((g) => !g.retired);
  const desired = groups.reduce((sum, g) => sum + (g.status?.desired ?? 0), 0);
  const ready = groups.reduce((sum, g) => sum + (g.status?.healthy ?? 0), 0);
  const failing = passReport.groups.filter((g) => kindOf(g.status?.reason) === 'bad');
  if (failing.length > 0) return { desired, ready, text: 'error', kind: 'bad', title: failing.map((g) => `${g.path}: ${g.status.message}`).join('\n') };
  if (groups.every((g) => g.status?.reason === 'converged')) return { desired, ready, text: 'converged', kind: 'ok' };
  return { desired, ready, text: 'progressing', kind: 'warn' };
}

/**
 * The list's health per cluster: the daemon's last pass (no plugin call). A daemon that has run no
 * pass of a cluster (another host holds it) answers with a live look, which calls its plugins: that
 * answer is kept for a minute rather than asked for at every poll.
 */
const LIVE_STATUS_KEPT_MS = 60_000;
const listStatus = new Map();

async function statusForList(id) {
  const kept = listStatus.get(id);
  if (kept && kept.source === 'live' && Date.now() - kept.at < LIVE_STATUS_KEPT_MS) return kept.pass;
  try {
    const pass = await api(`/v1/clusters/${enc(id)}/status`);
    listStatus.set(id, { pass, source: pass.source, at: Date.now() });
    return pass;
  } catch (error) {
    if (error instanceof Unauthorized) throw error;
    return undefined;
  }
}

async function loadClusters() {
  const clusters = await api('/v1/clusters');
  const passes = await Promise.all(clusters.map((c) => statusForList(c.id)));
  const list = $('#clusters');
  list.replaceChildren(
    ...clusters.map((cluster, i) => {
      const health = passes[i] ? clusterHealth(passes[i].report) : undefined;
      const current = state.ref !== undefined && (state.ref === cluster.name || state.ref === cluster.id);
      return el(
        'li',
        { 'data-id': cluster.id },
        el(
          'a',
          { href: clusterPath(cluster.name), 'aria-current': current ? 'page' : undefined },
          el('span', { class: 'name' }, cluster.name),
          health ? pill(cluster.deleting ? 'deleting' : health.text, cluster.deleting ? 'warn' : health.kind, health.title) : undefined,
          el('small', { class: 'health' }, [plural(cluster.groups, 'group'), health ? `${health.ready}/${health.desired} ready` : undefined].filter(Boolean).join(', ')),
        ),
      );
    }),
  );
  if (clusters.length === 0) list.append(el('li', { class: 'muted' }, `No clusters yet: kadende apply -f FILE --server ${location.origin}`));
  setConnection('connected', 'ok');
}

function groupRow(group) {
  const s = group.status ?? {};
  const reason = s.reason ?? 'progressing';
  const why = group.error?.message ?? s.message ?? '';
  const stateCell = el('td', { class: 'state' }, pill(reason, kindOf(reason), why));
  return [
    cell(group.retired ? `${group.path} (removed)` : group.path),
    cell(group.plugin),
    cell(s.desired),
    cell(s.actual),
    cell(s.healthy),
    cell(s.unhealthy),
    cell(s.failed),
    cell(s.outdated),
    stateCell,
    cell(why, `reason wrap ${kindOf(reason)}`),
  ];
}

function resourceRow(r) {
  const ageCell = el('td', { class: 'age', title: absoluteTime(r.createdAt) }, el('span', { 'data-since': r.createdAt }, `${age(r.createdAt)} ago`));
  return [cell(r.groupPath), cell(r.providerId ?? r.id, 'wrap'), cell(r.state), cell(r.status), ageCell, cell(r.address, 'wrap'), cell(r.lastError, 'wrap')];
}

function showHolder(holder) {
  const span = $('#cluster-holder');
  span.hidden = !holder?.hostId;
  if (!holder?.hostId) return;
  span.textContent = `held by ${holder.hostId}`;
  span.title = [holder.address, holder.since ? `since ${absoluteTime(holder.since)}` : undefined].filter(Boolean).join(', ');
}

function drawHistory(pass) {
  const history = groupHistory(state.history, pass.report, pass.finishedAt ?? new Date().toISOString());
  const charts = [...history].map(([path, points]) => el('figure', {}, el('figcaption', {}, path), historyChart(path, points)));
  $('#history').replaceChildren(...charts);
}

/** The history charts read the cluster's latest events, of every type (chart.js says how). */
const HISTORY_EVENTS = 1000;

async function loadHistory() {
  const ref = state.ref;
  const events = await listEvents(`/v1/clusters/${enc(ref)}/events?reverse=true&limit=${HISTORY_EVENTS}`);
  if (ref === state.ref) state.history = events;
}

async function loadCluster() {
  const ref = state.ref;
  if (ref === undefined) return;
  // The daemon's last pass, not a live describe: polling must not cost a cloud API call per group.
  const [{ cluster }, pass, resources] = await Promise.all([
    api(`/v1/clusters/${enc(ref)}?status=false`),
    api(`/v1/clusters/${enc(ref)}/status`),
    api(`/v1/clusters/${enc(ref)}/resources`),
  ]);
  if (ref !== state.ref) return;
  state.clusterId = cluster.id;
  $('#cluster-name').textContent = cluster.name;
  $('#cluster-id').textContent = cluster.id;
  $('#cluster-generation').textContent = String(cluster.generation);
  showHolder(cluster.holder);
  const health = clusterHealth(pass.report);
  const statePill = $('#cluster-state');
  statePill.textContent = `${health.text} · ${health.ready}/${health.desired} ready`;
  statePill.className = `pill ${health.kind}`;
  fillTable($('#groups'), pass.report.groups.map(groupRow));
  fillTable($('#resources'), resources.map(resourceRow));
  events.setGroups(pass.report.groups.filter((g) => !g.retired).map((g) => g.path));
  drawHistory(pass);
}

/** Follows the SSE stream with fetch (EventSource cannot send the bearer token), reconnecting after the last event seen. */
async function follow(ref) {
  const controller = new AbortController();
  state.follow = controller;
  while (!controller.signal.aborted && state.ref === ref) {
    try {
      const after = state.lastEventId ? `?after=${state.lastEventId}` : '';
      const response = await fetch(`/v1/clusters/${enc(ref)}/events/follow${after}`, authorized({ headers: { accept: 'text/event-stream' }, signal: controller.signal }));
      if (response.status === 401) return showLogin('the token was refused');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (data) onLiveEvent(JSON.parse(data));
        }
      }
    } catch {
      if (controller.signal.aborted) return;
    }
    setConnection('reconnecting', 'warn');
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function onLiveEvent(event) {
  state.lastEventId = event.id;
  events.live(event);
  if (!state.history.some((e) => e.id === event.id)) state.history = [event, ...state.history].slice(0, HISTORY_EVENTS);
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => loadCluster().catch(report), 400);
}

/** Shows what the fragment names: a cluster, or the list alone. */
async function route() {
  const ref = routedCluster();
  if (ref === state.ref) return;
  state.follow?.abort();
  Object.assign(state, { ref, clusterId: undefined, lastEventId: undefined, history: [] });
  for (const item of document.querySelectorAll('#clusters a')) {
    if (item.getAttribute('href') === location.hash) item.setAttribute('aria-current', 'page');
    else item.removeAttribute('aria-current');
  }
  $('#detail').hidden = ref === undefined;
  $('#empty').hidden = ref !== undefined;
  $('#empty').textContent = 'Select a cluster.';
  if (ref === undefined) return;
  $('#cluster-name').textContent = ref;
  try {
    // Events first: the follow resumes after the newest one the history read.
    await Promise.all([events.open(ref), loadHistory()]);
    if (ref !== state.ref) return;
    state.lastEventId = state.history[0]?.id;
    await loadCluster();
  } catch (error) {
    if (ref !== state.ref) return;
    if (error instanceof Unauthorized) return report(error);
    $('#detail').hidden = true;
    $('#empty').hidden = false;
    $('#empty').textContent = `Cluster "${ref}": ${error.message}`;
    return;
  }
  if (ref === state.ref) void follow(ref);
}

const events = new EventsPanel({ list: $('#events'), more: $('#events-more'), type: $('#event-type'), group: $('#event-group'), onError: report });

async function connect() {
  await loadClusters();
  $('#login').hidden = true;
  $('#app').hidden = false;
  await route();
}

$('#login').addEventListener('submit', (event) => {
  event.preventDefault();
  token.set($('#token').value.trim());
  connect().catch(report);
});

$('#reconcile').addEventListener('click', async () => {
  const button = $('#reconcile');
  button.disabled = true;
  try {
    await api(`/v1/clusters/${enc(state.ref)}/reconcile`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await loadCluster();
  } catch (error) {
    report(error);
  } finally {
    button.disabled = false;
  }
});

/** A token in the fragment wins over a stored one; it is then taken out of the address bar. */
function takeTokenFromFragment() {
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!fromFragment) return false;
  token.set(fromFragment);
  history.replaceState(null, '', location.pathname);
  return true;
}

window.addEventListener('hashchange', () => {
  if (takeTokenFromFragment()) connect().catch(report);
  else if (!$('#app').hidden) route().catch(report);
});
takeTokenFromFragment();
if (token.get()) connect().catch(report);
else showLogin();

// Status also changes without events (a pass that only confirms what it created): poll it too.
setInterval(() => {
  if ($('#app').hidden) return;
  refreshAges();
  Promise.all([loadClusters(), loadCluster()]).catch(report);
}, 5000);
