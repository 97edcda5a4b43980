// The Kadende web UI: clusters, per-group status, resources, and live events.
// Plain ES module, no build step. All data is written with textContent, never
// as HTML. The token stays in this tab's sessionStorage; it can arrive in the
// URL fragment (#token=...), which browsers never send to a server.
const $ = (selector) => document.querySelector(selector);
const TOKEN_KEY = 'kadende.token';
const state = { token: '', selected: undefined, follow: undefined, lastEventId: undefined, refreshTimer: undefined };

class Unauthorized extends Error {}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

async function api(path, init = {}) {
  const response = await fetch(path, { ...init, headers: { authorization: `Bearer ${state.token}`, ...(init.headers ?? {}) } });
  if (response.status === 401) throw new Unauthorized('the token was refused');
  const body = await response.json();
  if (!response.ok) throw new Error(body?.error?.message ?? `${response.status} ${response.statusText}`);
  return body;
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text === undefined || text === null ? '-' : String(text);
  if (className) td.className = className;
  return td;
}

function fillTable(table, rows) {
  const body = table.querySelector('tbody');
  body.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement('tr');
      tr.append(...cells);
      return tr;
    }),
  );
}

function setConnection(text, kind) {
  const pill = $('#connection');
  pill.textContent = text;
  pill.className = `pill ${kind ?? ''}`;
}

function showLogin(message) {
  state.follow?.abort();
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message ?? '';
  setConnection('not connected', 'bad');
}

async function loadClusters() {
  const clusters = await api('/v1/clusters');
  const list = $('#clusters');
  list.replaceChildren(
    ...clusters.map((cluster) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.id = cluster.id;
      button.textContent = cluster.name;
      const small = document.createElement('small');
      small.textContent = `${plural(cluster.groups, 'group')}, ${plural(cluster.resources, 'resource')}${cluster.deleting ? ', deleting' : ''}`;
      button.append(small);
      button.setAttribute('aria-current', String(cluster.id === state.selected));
      button.addEventListener('click', () => select(cluster.id));
      li.append(button);
      return li;
    }),
  );
  if (clusters.length === 0) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = 'No clusters yet: kadende apply -f FILE --server ' + location.origin;
    list.append(li);
  }
  setConnection('connected', 'ok');
}

/** Pill colour by status reason; the reason and message come from the daemon's pass. */
const REASON_KIND = { converged: 'ok', progressing: 'warn', waiting: 'warn', halted: 'bad', 'creates-failed': 'bad', 'describe-failed': 'bad' };

function groupState(group) {
  const reason = group.status?.reason ?? 'progressing';
  return [reason, REASON_KIND[reason] ?? 'warn', group.status?.message ?? ''];
}

async function loadCluster() {
  const id = state.selected;
  if (!id) return;
  // The daemon's last pass, not a live describe: polling must not cost a cloud API call per group.
  const [{ cluster }, { report: status }, resources] = await Promise.all([
    api(`/v1/clusters/${id}?status=false`),
    api(`/v1/clusters/${id}/status`),
    api(`/v1/clusters/${id}/resources`),
  ]);
  if (id !== state.selected) return;
  $('#cluster-name').textContent = cluster.name;
  $('#cluster-id').textContent = cluster.id;
  $('#cluster-generation').textContent = String(cluster.generation);
  const pill = $('#cluster-state');
  pill.textContent = status.converged ? 'converged' : 'not converged';
  pill.className = `pill ${status.converged ? 'ok' : 'warn'}`;
  fillTable(
    $('#groups'),
    status.groups.map((group) => {
      const [text, kind, message] = groupState(group);
      const s = group.status ?? {};
      const badge = cell('');
      const span = document.createElement('span');
      span.className = `pill ${kind}`;
      span.textContent = text;
      span.title = message;
      badge.append(span);
      return [cell(group.retired ? `${group.path} (removed)` : group.path), cell(group.plugin), cell(s.desired), cell(s.actual), cell(s.healthy), cell(s.unhealthy), cell(s.failed), cell(s.outdated), badge];
    }),
  );
  fillTable(
    $('#resources'),
    resources.map((r) => [cell(r.groupPath), cell(r.providerId ?? r.id), cell(r.state), cell(r.status), cell(r.address, 'wrap'), cell(r.lastError, 'wrap')]),
  );
}

function eventItem(event) {
  const li = document.createElement('li');
  li.dataset.id = event.id;
  const time = document.createElement('time');
  time.dateTime = event.time;
  time.textContent = new Date(event.time).toLocaleTimeString();
  const type = document.createElement('span');
  type.className = 'type';
  type.textContent = event.type.replace(/^io\.kadende\./, '');
  const subject = document.createElement('span');
  subject.className = 'muted';
  subject.textContent = event.subject.split('/').slice(1).join('/');
  const cause = document.createElement('div');
  cause.textContent = event.data?.cause ?? '';
  li.append(time, type, subject, cause);
  return li;
}

function showEvent(event) {
  const list = $('#events');
  if (list.querySelector(`[data-id="${CSS.escape(event.id)}"]`)) return;
  list.prepend(eventItem(event));
  while (list.children.length > 200) list.lastElementChild.remove();
  state.lastEventId = event.id;
}

/** Follows the SSE stream with fetch (EventSource cannot send the bearer token), reconnecting after the last event seen. */
async function follow(id) {
  const controller = new AbortController();
  state.follow = controller;
  while (!controller.signal.aborted && state.selected === id) {
    try {
      const after = state.lastEventId ? `?after=${state.lastEventId}` : '';
      const response = await fetch(`/v1/clusters/${id}/events/follow${after}`, {
        headers: { authorization: `Bearer ${state.token}`, accept: 'text/event-stream' },
        signal: controller.signal,
      });
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
          if (!data) continue;
          showEvent(JSON.parse(data));
          scheduleRefresh();
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
    }
    setConnection('reconnecting', 'warn');
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => loadCluster().catch(report), 400);
}

async function select(id) {
  state.follow?.abort();
  state.selected = id;
  state.lastEventId = undefined;
  $('#empty').hidden = true;
  $('#detail').hidden = false;
  $('#events').replaceChildren();
  for (const button of document.querySelectorAll('#clusters button')) button.setAttribute('aria-current', String(button.dataset.id === id));
  const { events } = await api(`/v1/clusters/${id}/events?limit=50&reverse=true`);
  for (const event of [...events].reverse()) showEvent(event);
  await loadCluster();
  void follow(id);
}

function report(error) {
  if (error instanceof Unauthorized) return showLogin(error.message);
  setConnection(error.message, 'bad');
}

async function connect() {
  await loadClusters();
  $('#login').hidden = true;
  $('#app').hidden = false;
}

$('#login').addEventListener('submit', (event) => {
  event.preventDefault();
  state.token = $('#token').value.trim();
  sessionStorage.setItem(TOKEN_KEY, state.token);
  connect().catch(report);
});

$('#reconcile').addEventListener('click', async () => {
  const button = $('#reconcile');
  button.disabled = true;
  try {
    await api(`/v1/clusters/${state.selected}/reconcile`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await loadCluster();
  } catch (error) {
    report(error);
  } finally {
    button.disabled = false;
  }
});

/** A token in the fragment wins over a stored one; it is then taken out of the address bar. */
function start() {
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromFragment) {
    sessionStorage.setItem(TOKEN_KEY, fromFragment);
    history.replaceState(null, '', location.pathname);
  }
  state.token = sessionStorage.getItem(TOKEN_KEY) ?? '';
  if (state.token) connect().catch(report);
  else showLogin();
}
window.addEventListener('hashchange', start);
start();
// Status also changes without events (a pass that only confirms what it created): poll it too.
setInterval(() => {
  if (!$('#app').hidden) Promise.all([loadClusters(), loadCluster()]).catch(report);
}, 5000);
