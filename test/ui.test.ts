// The web UI in a real browser (the npm-shipped Chromium of test/support/browser.ts, driven by
// playwright-core) against a real daemon: clusters and their health, group status and why,
// history charts, resources, filtered and paged events, deep links, a narrow screen.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../host/daemon.js';
import type { KadendeEvent } from '../model/index.js';
import { launchTestBrowser } from './support/browser.js';
import { startTestDaemon, type TestDaemon } from './support/daemon.js';
import { fileCluster } from './support/service.js';

const TOKEN = 'ui-test-token-0123456789abcdef';
let testDaemon: TestDaemon;
let dir: string;
let daemon: Daemon;
let browser: Browser;
let page: Page;

const headers = { authorization: `Bearer ${TOKEN}` };
async function apply(name: string, yaml: string): Promise<void> {
  const applied = await fetch(`${daemon.url}/v1/clusters?file=${name}.yaml`, { method: 'POST', headers: { ...headers, 'content-type': 'application/yaml' }, body: yaml });
  expect(applied.status).toBe(201);
}
async function allEvents(ref: string): Promise<KadendeEvent[]> {
  const response = await fetch(`${daemon.url}/v1/clusters/${ref}/events?limit=10000`, { headers });
  return ((await response.json()) as { events: KadendeEvent[] }).events;
}
const nested = (directory: string) =>
  [
    'version: "0.0.1"',
    'name: ui-nested',
    'groups:',
    '  web:',
    '    size: 1',
    '    resourcePlugin: { name: file }',
    `    resourceProperties: { directory: ${JSON.stringify(join(directory, 'web'))} }`,
    '  workers:',
    '    queue:',
    '      size: 2',
    '      resourcePlugin: { name: file }',
    `      resourceProperties: { directory: ${JSON.stringify(join(directory, 'queue'))} }`,
    '',
  ].join('\n');

/** Signs the page in (the token in the fragment), then opens `hash`: each test can run alone. */
async function visit(p: Page, hash: string): Promise<void> {
  // A new document each time: a goto that changes only the fragment would not reload the page.
  await p.goto('about:blank');
  await p.goto(`${daemon.url}/ui/#token=${TOKEN}`);
  await expect.poll(() => p.isVisible('#app')).toBe(true);
  await p.goto(`${daemon.url}/ui/${hash}`);
}
const groupCell = (p: Page, group: string, cell: string) => p.textContent(`#groups tbody tr:has(td:first-child:text-is("${group}")) td.${cell}`);
const eventTypes = (p: Page) => p.$$eval('#events li', (items) => items.map((li) => li.getAttribute('data-type')));

beforeAll(async () => {
  testDaemon = await startTestDaemon(TOKEN, { intervalMs: 500 });
  ({ daemon, dir } = testDaemon);
  // A "directory" that is a file: the file plugin's describe fails, so the group is in error.
  writeFileSync(join(dir, 'not-a-directory'), 'x');
  await apply('ui-demo', fileCluster('ui-demo', join(dir, 'res'), 3));
  await apply('ui-nested', nested(join(dir, 'nested')));
  await apply('ui-broken', fileCluster('ui-broken', join(dir, 'not-a-directory'), 2));
  // Enough events for more than one page of the UI's 50.
  await apply('ui-many', fileCluster('ui-many', join(dir, 'many'), 30));
  browser = await launchTestBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await testDaemon?.stop();
});

describe('web UI', () => {
  it('asks for the token and says when it is refused', async () => {
    await page.goto(`${daemon.url}/ui/`);
    await expect.poll(() => page.isVisible('#login')).toBe(true);
    await page.fill('#token', 'wrong-token-wrong-token');
    await page.click('#login button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toBe('the token was refused');
    expect(await page.isVisible('#app')).toBe(false);
  });

  it("shows a cluster's groups converged, its resources with their ages, and its events with their dates", async () => {
    await page.goto(`${daemon.url}/ui/#token=${TOKEN}`);
    // The token does not linger in the address bar.
    await expect.poll(() => page.isVisible('#app')).toBe(true);
    expect(page.url()).toBe(`${daemon.url}/ui/`);
    await page.click('#clusters a:has-text("ui-demo")');
    expect(page.url()).toBe(`${daemon.url}/ui/#/clusters/ui-demo`);
    await expect.poll(() => groupCell(page, 'web', 'state'), { timeout: 20_000 }).toBe('converged');
    const cells = await page.$$eval('#groups tbody tr:first-child td', (tds) => tds.map((td) => td.textContent));
    expect(cells.slice(0, 5)).toEqual(['web', 'file@0.1.0', '3', '3', '3']);
    await expect.poll(() => page.$$eval('#resources tbody tr', (rows) => rows.length)).toBe(3);
    for (const resourceAge of await page.$$eval('#resources tbody td.age', (tds) => tds.map((td) => td.textContent))) expect(resourceAge).toMatch(/^\d+s ago$/);
    expect(await page.textContent('#events')).toContain('resource.created');
    const dates = await page.$$eval('#events li time', (times) => times.map((t) => [t.querySelector('.absolute')?.textContent, t.querySelector('.age')?.textContent]));
    expect(dates.length).toBeGreaterThan(0);
    for (const [absolute, relative] of dates) {
      expect(absolute).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      expect(relative).toMatch(/^\d+s ago$/);
    }
  });

  it('shows each cluster health in the list, and why a group is in error on its row', async () => {
    const item = (name: string) => `#clusters li:has(.name:text-is("${name}"))`;
    await visit(page, '#/');
    await expect.poll(() => page.textContent(`${item('ui-demo')} .pill`), { timeout: 20_000 }).toBe('converged');
    expect(await page.textContent(`${item('ui-demo')} .health`)).toBe('1 group, 3/3 ready');
    await expect.poll(() => page.textContent(`${item('ui-broken')} .pill`), { timeout: 20_000 }).toBe('error');
    expect(await page.textContent(`${item('ui-broken')} .health`)).toBe('1 group, 0/2 ready');

    await page.click(`${item('ui-broken')} a`);
    await expect.poll(() => groupCell(page, 'web', 'state'), { timeout: 20_000 }).toBe('describe-failed');
    expect(await groupCell(page, 'web', 'reason')).toContain('not a directory');
    expect(await page.getAttribute('#groups tbody tr:first-child td.reason', 'class')).toContain('bad');
    expect(await page.textContent('#cluster-state')).toBe('error · 0/2 ready');
  });

  it('asks a daemon that has run no pass of a cluster for its live status once a minute, not at every poll', async () => {
    const calls = { live: 0, lastPass: 0 };
    await page.route(
      (url) => url.pathname.endsWith('/status'),
      async (route) => {
        const response = await route.fetch();
        const body = await response.json();
        // ui-demo's answer as a daemon gives it when another host runs its passes (a live look calls its plugins).
        const live = body?.report?.clusterName === 'ui-demo';
        if (live) calls.live++;
        else if (body?.report?.clusterName === 'ui-nested') calls.lastPass++;
        await route.fulfill({ response, json: live ? { ...body, source: 'live' } : body });
      },
    );
    try {
      await visit(page, '#/');
      // Two polls after the first load (every 5 s), ui-demo still asked once.
      await expect.poll(() => calls.lastPass, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
      expect(calls.live).toBe(1);
      // The kept answer still shows: the cluster keeps its health in the list.
      expect(await page.textContent('#clusters li:has(.name:text-is("ui-demo")) .pill')).toMatch(/^(converged|progressing)$/);
    } finally {
      await page.unrouteAll({ behavior: 'wait' });
    }
  });

  it('keeps a deep link across a reload, and the back and forward buttons walk the clusters seen', async () => {
    await visit(page, '#/clusters/ui-nested');
    await expect.poll(() => groupCell(page, 'workers/queue', 'state'), { timeout: 20_000 }).toBe('converged');
    await page.reload();
    await expect.poll(() => page.textContent('#cluster-name')).toBe('ui-nested');
    await expect.poll(() => groupCell(page, 'workers/queue', 'state')).toBe('converged');
    expect(await page.getAttribute('#clusters a[aria-current="page"]', 'href')).toBe('#/clusters/ui-nested');

    await page.click('#clusters a:has-text("ui-demo")');
    await expect.poll(() => page.textContent('#cluster-name')).toBe('ui-demo');
    await page.goBack();
    expect(page.url()).toBe(`${daemon.url}/ui/#/clusters/ui-nested`);
    await expect.poll(() => page.textContent('#cluster-name')).toBe('ui-nested');
    await expect.poll(() => page.$$eval('#groups tbody tr', (rows) => rows.length)).toBe(2);
    await page.goForward();
    await expect.poll(() => page.textContent('#cluster-name')).toBe('ui-demo');

    await visit(page, '#/clusters/no-such-cluster');
    await expect.poll(() => page.textContent('#empty')).toContain('Cluster "no-such-cluster"');
    expect(await page.isVisible('#detail')).toBe(false);
  });

  it('filters events by type and by group (a branch takes its sub-groups), on the daemon', async () => {
    await visit(page, '#/clusters/ui-nested');
    await expect.poll(() => page.$$eval('#events li', (items) => items.length)).toBeGreaterThan(0);
    const stored = await allEvents('ui-nested');
    await page.selectOption('#event-type', 'io.kadende.resource.created');
    const created = stored.filter((e) => e.type === 'io.kadende.resource.created');
    expect(created).toHaveLength(3);
    await expect.poll(() => eventTypes(page)).toEqual(created.map((e) => e.type));

    await page.selectOption('#event-group', 'workers');
    await expect.poll(() => page.$$eval('#events li', (items) => items.map((li) => li.getAttribute('data-id')))).toEqual(
      created.filter((e) => e.data.groupPath === 'workers/queue').reverse().map((e) => e.id),
    );
    expect(await page.textContent('#events li .subject')).toMatch(/^workers\/queue \/ /);

    await page.selectOption('#event-type', '');
    const queue = stored.filter((e) => e.data.groupPath === 'workers/queue');
    await expect.poll(async () => (await eventTypes(page)).length).toBeGreaterThanOrEqual(queue.length);
    expect(new Set(await page.$$eval('#events li .subject', (s) => s.map((x) => x.textContent!.split(' / ')[0])))).toEqual(new Set(['workers/queue']));
  });

  it('loads older events page by page until there are none left', async () => {
    await visit(page, '#/clusters/ui-many');
    await expect.poll(() => page.textContent('#groups tbody td.state'), { timeout: 30_000 }).toBe('converged');
    await page.reload();
    const stored = await allEvents('ui-many');
    expect(stored.length).toBeGreaterThan(50);
    await expect.poll(() => page.$$eval('#events li', (items) => items.length)).toBe(50);
    for (let pages = 1; await page.isVisible('#events-more'); pages++) {
      expect(pages).toBeLessThan(10);
      const before = await page.$$eval('#events li', (items) => items.length);
      await page.click('#events-more');
      await expect.poll(() => page.$$eval('#events li', (items) => items.length)).toBeGreaterThan(before);
    }
    // The stored events, newest first, each once (live events may have come on top meanwhile).
    const shown = await page.$$eval('#events li', (items) => items.map((li) => li.getAttribute('data-id')));
    const latest = await allEvents('ui-many');
    expect(shown).toEqual(latest.map((e) => e.id).reverse());
  });

  it('draws each group desired and ready over time from the stored events (pass status and resource transitions)', async () => {
    await visit(page, '#/clusters/ui-nested');
    await expect.poll(() => groupCell(page, 'workers/queue', 'state'), { timeout: 20_000 }).toBe('converged');
    const chart = '#history svg[data-group="workers/queue"]';
    await expect.poll(() => page.getAttribute(`${chart} path.desired`, 'data-values')).toMatch(/^(2,)+2$/);
    const ready = (await page.getAttribute(`${chart} path.ready`, 'data-values'))!.split(',').map(Number);
    // The first pass found none ready (its status, at its start), each create made one ready, and
    // the last pass found both: ready from when they were made, not only from the last pass.
    expect(ready.slice(0, 3)).toEqual([0, 1, 2]);
    expect(ready.at(-1)).toBe(2);
    expect(Math.max(...ready)).toBe(2);
    expect(await page.getAttribute(`${chart} path.ready`, 'd')).toMatch(/^M[\d.]+,[\d.]+ H/);
    expect(await page.textContent(`${chart} desc`)).toContain('workers/queue: desired 2, ready 2 now');
    expect(await page.$$eval('#history svg', (charts) => charts.map((c) => c.getAttribute('data-group')))).toEqual(['web', 'workers/queue']);
  });

  it('shows the host holding the cluster when the daemon says (multi-host NATS mode)', async () => {
    await visit(page, '#/clusters/ui-demo');
    await expect.poll(() => page.textContent('#cluster-id')).not.toBe('');
    expect(await page.isVisible('#cluster-holder')).toBe(false);
    await page.route(
      (url) => url.pathname === '/v1/clusters/ui-demo',
      async (route) => {
        const response = await route.fetch();
        const body = await response.json();
        body.cluster.holder = { hostId: 'host-b', address: 'http://10.0.0.2:7070', since: new Date().toISOString() };
        await route.fulfill({ response, json: body });
      },
    );
    try {
      await page.reload();
      await expect.poll(() => page.textContent('#cluster-holder')).toBe('held by host-b');
    } finally {
      await page.unrouteAll({ behavior: 'wait' });
    }
  });

  it('reads an events list sent as a CloudEvents batch (a bare array)', async () => {
    await page.route(
      (url) => url.pathname === '/v1/clusters/ui-demo/events',
      async (route) => {
        const response = await route.fetch();
        const body = (await response.json()) as { events: KadendeEvent[] };
        await route.fulfill({ status: 200, contentType: 'application/cloudevents-batch+json', body: JSON.stringify(body.events) });
      },
    );
    try {
      await visit(page, '#/clusters/ui-demo');
      const stored = await allEvents('ui-demo');
      await expect.poll(() => page.$$eval('#events li', (items) => items.map((li) => li.getAttribute('data-id')))).toEqual(stored.map((e) => e.id).reverse());
    } finally {
      await page.unrouteAll({ behavior: 'wait' });
    }
  });

  it('fits a 420 px wide screen: the page never scrolls sideways, wide tables scroll in their box', async () => {
    const narrow = await browser.newPage({ viewport: { width: 420, height: 800 } });
    try {
      await visit(narrow, '#/clusters/ui-broken');
      await expect.poll(() => groupCell(narrow, 'web', 'state'), { timeout: 20_000 }).toBe('describe-failed');
      await expect.poll(() => narrow.$$eval('#events li', (items) => items.length)).toBeGreaterThan(0);
      expect(await narrow.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(420);
      const box = await narrow.$eval('#groups', (table) => ({ table: table.scrollWidth, box: table.parentElement!.clientWidth }));
      expect(box.table).toBeGreaterThan(box.box);
      await visit(narrow, '#/clusters/ui-many');
      await expect.poll(() => narrow.$$eval('#resources tbody tr', (rows) => rows.length)).toBe(30);
      expect(await narrow.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(420);
      await narrow.screenshot({ path: join(tmpdir(), 'kadende-ui-420.png'), fullPage: true });
    } finally {
      await narrow.close();
    }
  });

  it('shows live events as the daemon repairs the cluster', async () => {
    await visit(page, '#/clusters/ui-demo');
    await expect.poll(() => groupCell(page, 'web', 'state'), { timeout: 20_000 }).toBe('converged');
    const files = readdirSync(join(dir, 'res')).filter((f) => f.endsWith('.json'));
    rmSync(join(dir, 'res', files[0]!));
    const victim = files[0]!.replace(/\.json$/, '');
    await expect.poll(() => page.textContent('#events'), { timeout: 20_000 }).toContain(`${victim} no longer exists at the provider`);
    await expect.poll(() => page.$$eval('#resources tbody tr', (rows) => rows.map((r) => r.textContent).join('\n')), { timeout: 20_000 }).not.toContain(victim);
    await expect.poll(() => groupCell(page, 'web', 'state'), { timeout: 20_000 }).toBe('converged');
    await page.screenshot({ path: join(tmpdir(), 'kadende-ui.png'), fullPage: true });
  });

  it('reconciles on request', async () => {
    await visit(page, '#/clusters/ui-demo');
    await expect.poll(() => page.textContent('#cluster-id')).not.toBe('');
    await page.click('#reconcile');
    await expect.poll(() => page.isEnabled('#reconcile')).toBe(true);
    expect(await page.textContent('#connection')).toBe('connected');
  });
});
