/**
 * Configurations are parsed off the daemon's event loop (issue 16): a large one
 * posted to the API does not stall /healthz or other clients, and the parse in
 * a worker thread reports exactly what the in-process loader does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ConfigParser, checkResourceProperties, loadClusterConfigPartially } from '../../host/config/index.js';
import type { Daemon } from '../../host/daemon.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';

const TOKEN = 'config-parser-test-token-0123456789';
/** 8,000 small groups (0.4 MB): refused for the group limit, after a second or so of parsing. */
const manyGroups = () =>
  `version: "0.0.1"\nname: big\ngroups:\n${Array.from({ length: 8_000 }, (_, i) => `  g${i}: {size: 1, resourcePlugin: {name: file}}\n`).join('')}`;

describe('the configuration parser thread', () => {
  const parser = new ConfigParser();
  afterAll(() => parser.close());

  it('loads what the in-process loader loads, and locates later issues the same way', async () => {
    const text = [
      'version: "0.0.1"',
      'name: located',
      'groups:',
      '  web:',
      '    size: 2',
      '    resourcePlugin: {name: file}',
      '    resourceProperties:',
      '      directory: 7',
      '      nested: {deep: [1, {x: "y"}]}',
      '',
    ].join('\n');
    const local = loadClusterConfigPartially(text, 'c.yaml');
    const remote = await parser.load(text, 'c.yaml');
    expect(remote.spec).toEqual(local.spec);
    expect(remote.documentPath('web')).toEqual(local.documentPath('web'));
    const schema = { type: 'object', properties: { directory: { type: 'string' }, missing: { type: 'string' }, nested: { type: 'object', properties: { deep: { type: 'array', items: { type: 'number' } } } } }, required: ['missing'] };
    const issues = (loaded: typeof local) => checkResourceProperties(loaded, 'c.yaml', () => schema);
    expect(issues(remote)).toEqual(issues(local));
    expect(issues(remote).length).toBeGreaterThanOrEqual(3);
    // The paths later checks report (apply.ts, properties.ts): a group, its resourcePlugin, anything under its resourceProperties.
    const reported = [['groups', 'web'], ['groups', 'web', 'resourcePlugin'], ['groups', 'web', 'resourceProperties', 'nested', 'deep', 1, 'x'], ['groups', 'web', 'resourceProperties', 'missing']];
    for (const path of reported) {
      for (const anchor of ['value', 'key'] as const) expect(remote.locate(path, anchor)).toEqual(local.locate(path, anchor));
    }
  });

  it('refuses what the loader refuses, with the same located issues', async () => {
    const text = 'version: "0.0.1"\nname: bad\ngroups:\n  a: {size: -1, resourcePlugin: {name: file}}\n  a: {size: 1}\n';
    const local = (() => {
      try {
        loadClusterConfigPartially(text, 'bad.yaml');
      } catch (error) {
        return error as ConfigError;
      }
    })();
    const remote = (await parser.load(text, 'bad.yaml').then(
      () => undefined,
      (error: unknown) => error,
    )) as ConfigError;
    expect(remote).toBeInstanceOf(ConfigError);
    expect(remote.issues).toEqual(local!.issues);
    expect(remote.message).toBe(local!.message);
  });
});

describe('a daemon applying a large configuration', () => {
  let test: TestDaemon;
  let daemon: Daemon;
  beforeAll(async () => {
    test = await startTestDaemon(TOKEN, { intervalMs: 60_000 });
    daemon = test.daemon;
  });
  afterAll(() => test?.stop());

  it('answers /healthz while it parses, then refuses the configuration with a located 400', async () => {
    let applied = false;
    const started = performance.now();
    const apply = fetch(`${daemon.url}/v1/clusters?file=big.yaml`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/yaml' },
      body: manyGroups(),
    }).then(async (response) => {
      applied = true;
      return { status: response.status, body: (await response.json()) as { error: { code: string; message: string } } };
    });
    // Health checks one after another while the apply is in flight. Not a timed goal but a ratio: parsed on the
    // event loop, one health check waits out the whole parse, most of the apply's time; in a thread, none does.
    let longestWait = 0;
    while (!applied) {
      const sent = performance.now();
      const health = await fetch(`${daemon.url}/healthz`);
      expect(health.status).toBe(200);
      if (!applied) longestWait = Math.max(longestWait, performance.now() - sent);
    }
    const { status, body } = await apply;
    const applyMs = performance.now() - started;
    expect(status).toBe(400);
    expect(body.error.code).toBe('KADENDE_ERR_CONFIG_INVALID');
    expect(body.error.message).toMatch(/big\.yaml:1004:\d+: groups\.g1000: is one group too many/);
    expect(longestWait).toBeLessThan(applyMs / 4);
  }, 60_000);
});
