// The web UI in a real browser (the npm-shipped Chromium of test/support/browser.ts, driven by playwright-core)
// against a real daemon: clusters, group status, resources, live events.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../host/daemon.js';
import { PluginHost } from '../host/plugins/host.js';
import { localSources, PluginResolver } from '../host/plugins/resolve.js';
import { launchTestBrowser } from './support/browser.js';
import { fileCluster } from './support/service.js';

const TOKEN = 'ui-test-token-0123456789abcdef';
let dir: string;
let daemon: Daemon;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kadende-ui-'));
  daemon = await startDaemon({
    dataDir: join(dir, 'data'),
    plugins: new PluginHost(new PluginResolver(localSources())),
    token: TOKEN,
    logger: pino({ level: 'silent' }),
    port: 0,
    intervalMs: 500,
  });
  const applied = await fetch(`${daemon.url}/v1/clusters?file=ui.yaml`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/yaml' },
    body: fileCluster('ui-demo', join(dir, 'res'), 3),
  });
  expect(applied.status).toBe(201);
  browser = await launchTestBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
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

  it("shows a cluster's groups converged, its resources, and its events", async () => {
    await page.goto(`${daemon.url}/ui/#token=${TOKEN}`);
    await page.click('#clusters button:has-text("ui-demo")');
    await expect.poll(() => page.textContent('#groups tbody tr:first-child td:last-child'), { timeout: 20_000 }).toBe('converged');
    const cells = await page.$$eval('#groups tbody tr:first-child td', (tds) => tds.map((td) => td.textContent));
    expect(cells.slice(0, 5)).toEqual(['web', 'file@0.1.0', '3', '3', '3']);
    await expect.poll(() => page.$$eval('#resources tbody tr', (rows) => rows.length)).toBe(3);
    expect(await page.textContent('#events')).toContain('resource.created');
    // The token does not linger in the address bar.
    expect(page.url()).toBe(`${daemon.url}/ui/`);
  });

  it('shows live events as the daemon repairs the cluster', async () => {
    const files = readdirSync(join(dir, 'res')).filter((f) => f.endsWith('.json'));
    rmSync(join(dir, 'res', files[0]!));
    const victim = files[0]!.replace(/\.json$/, '');
    await expect.poll(() => page.textContent('#events'), { timeout: 20_000 }).toContain(`${victim} no longer exists at the provider`);
    await expect.poll(() => page.$$eval('#resources tbody tr', (rows) => rows.map((r) => r.textContent).join('\n')), { timeout: 20_000 }).not.toContain(victim);
    await expect.poll(() => page.textContent('#groups tbody tr:first-child td:last-child'), { timeout: 20_000 }).toBe('converged');
    await page.screenshot({ path: join(tmpdir(), 'kadende-ui.png'), fullPage: true });
  });

  it('reconciles on request', async () => {
    await page.click('#reconcile');
    await expect.poll(() => page.isEnabled('#reconcile')).toBe(true);
    expect(await page.textContent('#connection')).toBe('connected');
  });
});
