/**
 * Plugin URLs from API clients (issue 16): the daemon's plugin sources fetch
 * http(s) only unless the operator allows file: URLs, and every failed fetch
 * answers one message, so an API client cannot learn which files exist on
 * the daemon's machine.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi, type Api } from '../../host/api/index.js';
import { KadendeService } from '../../host/controller/index.js';
import { FeedStore } from '../../host/events/index.js';
import { daemonUrlPolicy, distributionSources, PluginHost, PluginResolver } from '../../host/plugins/index.js';
import { LevelStore } from '../../host/store/index.js';
import { integrityOf } from '../../lib/index.js';
import { echoEntries, rawTarball, tempDir } from '../distribution/support.js';

const TOKEN = 'plugin-urls-token-0123456789';
const box = tempDir('hostile-urls');
const echo = rawTarball(echoEntries('1.0.0'));
writeFileSync(join(box.root, 'echo.tgz'), echo);
mkdirSync(join(box.root, 'a-folder'));

async function daemonApi(env: NodeJS.ProcessEnv, name: string) {
  const store = new FeedStore(await LevelStore.open(join(box.root, name, 'store')));
  const { sources } = distributionSources({ cacheDir: join(box.root, name, 'cache'), ...daemonUrlPolicy(env) }, {});
  const plugins = new PluginHost(new PluginResolver(sources));
  const api = await buildApi({ service: new KadendeService(store, plugins), feed: store.feed, token: TOKEN, logger: pino({ level: 'silent' }) });
  return { api, close: async () => (await api.app.close(), await plugins.close(), await store.close()) };
}

const config = (url: string, integrity?: string) =>
  ['version: "1"', 'name: urls', 'groups:', '  g:', '    size: 0', '    resourcePlugin:', '      name: echo', `      url: "${url}"`, ...(integrity ? [`      integrity: "${integrity}"`] : []), `    resourceProperties: { directory: "${box.root}" }`, ''].join('\n');

async function plan(api: Api, url: string, integrity?: string) {
  const response = await api.app.inject({ method: 'POST', url: '/v1/plan', payload: config(url, integrity), headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/yaml' } });
  return { status: response.statusCode, body: response.json() };
}
/** The issue's message with the URL taken out: what tells one failure from another. */
const answer = async (api: Api, url: string, integrity?: string) => {
  const { status, body } = await plan(api, url, integrity);
  return { status, code: body.error?.code, message: (body.error?.issues?.[0]?.message ?? '').replace(url, '<url>') };
};

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/garbage.tgz') res.end('<html>not a tarball</html>');
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  box.cleanup();
});

describe("the daemon's plugin URLs", () => {
  it('refuses file: URLs with one answer, whether the file exists, is missing or is a folder', async () => {
    const d = await daemonApi({}, 'no-files');
    try {
      const wrongDigest = integrityOf(Buffer.from('other'));
      const answers = [
        await answer(d.api, pathToFileURL(join(box.root, 'echo.tgz')).href, wrongDigest),
        await answer(d.api, pathToFileURL(join(box.root, 'missing.tgz')).href),
        await answer(d.api, pathToFileURL(join(box.root, 'a-folder')).href),
        await answer(d.api, pathToFileURL('/etc/passwd').href),
      ];
      expect(answers[0]).toMatchObject({ status: 400, code: 'KADENDE_ERR_CONFIG_INVALID', message: expect.stringMatching(/http\(s\) only.*KADENDE_ALLOW_FILE_PLUGIN_URLS=1/) });
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    } finally {
      await d.close();
    }
  });

  it('answers every failed http fetch alike: unreachable, 404, not a tarball, a wrong digest', async () => {
    const d = await daemonApi({}, 'http');
    try {
      const answers = [
        await answer(d.api, 'http://127.0.0.1:9/echo.tgz'),
        await answer(d.api, `${base}/missing.tgz`),
        await answer(d.api, `${base}/garbage.tgz`),
        await answer(d.api, `${base}/garbage.tgz`, integrityOf(Buffer.from('other'))),
      ];
      expect(answers[0]).toMatchObject({ status: 400, message: expect.stringMatching(/cannot install a plugin from <url>/) });
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    } finally {
      await d.close();
    }
  });

  it('takes file: URLs when the operator sets KADENDE_ALLOW_FILE_PLUGIN_URLS=1', async () => {
    const d = await daemonApi({ KADENDE_ALLOW_FILE_PLUGIN_URLS: '1' }, 'files');
    try {
      const { status, body } = await plan(d.api, pathToFileURL(join(box.root, 'echo.tgz')).href);
      expect(status, JSON.stringify(body)).toBe(200);
    } finally {
      await d.close();
    }
  });
});
