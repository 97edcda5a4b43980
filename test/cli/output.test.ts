// The CLI an operator expects (kubectl and terraform conventions): output formats, get's kinds and
// columns, dry runs, diffs and plan's detailed exit code. The real CLI, the file plugin, LevelDB.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kadende, resourceFiles, scratch } from '../support/cli.js';

const box = scratch('output');
afterAll(() => box.cleanup());
const env = { ...box.env, KADENDE_PLUGIN_PATH: new URL('../fixtures/plugins', import.meta.url).pathname, KADENDE_CREATE_BACKOFF_MS: '20' };
const run = (...args: string[]) => kadende(args, env);
const dir = join(box.root, 'res/web');
const file = join(box.root, 'shop.yaml');
const write = (size: number, extra = '') =>
  writeFileSync(file, `version: "1"\nname: shop\ngroups:\n  web:\n    size: ${size}\n${extra}    resourcePlugin: { name: file }\n    resourceProperties: { directory: ${dir} }\n`);

describe('before anything is stored', () => {
  it('apply --dry-run validates and shows the cluster it would create, and stores nothing (not even a store)', async () => {
    write(2);
    const result = await run('apply', '-f', file, '--dry-run');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('cluster shop would be created (dry run: nothing stored)');
    expect(result.stdout).toMatch(/web: 2 x create/);
    expect(existsSync(join(box.env.KADENDE_DATA_DIR, 'store'))).toBe(false);
  });

  it('apply --dry-run of an invalid configuration fails as apply does, exit 2', async () => {
    const bad = join(box.root, 'bad.yaml');
    writeFileSync(bad, 'version: "1"\nname: bad\ngroups:\n  g:\n    size: two\n    resourcePlugin: { name: file }\n    resourceProperties: { directory: /tmp/x }\n');
    const result = await run('apply', '-f', bad, '--dry-run');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}:5:11: groups.g.size: must be an integer >= 0, got "two"`);
  });
});

describe('with a stored cluster', () => {
  beforeAll(async () => {
    write(2);
    expect((await run('apply', '-f', file)).code).toBe(0);
  }, 60_000);

  it('get without a kind is an error naming the kinds, exit 2', async () => {
    const none = await run('get');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('get takes a kind: clusters, resources, hosts [KADENDE_ERR_ARGUMENT]');
    const unknown = await run('get', 'pods');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('got "pods"');
  });

  it('plan --detailed-exitcode: 2 while creates are pending, 0 once converged', async () => {
    const pending = await run('plan', 'shop', '--detailed-exitcode');
    expect(pending.code).toBe(2);
    expect(pending.stdout).toContain('web: 2 x create');
    expect((await run('plan', 'shop')).code).toBe(0);
    expect((await run('reconcile', 'shop', '--wait')).code).toBe(0);
    expect((await run('plan', 'shop', '--detailed-exitcode')).code).toBe(0);
    expect(resourceFiles(dir)).toHaveLength(2);
  });

  it('get clusters shows STATUS and READY', async () => {
    const converged = await run('get', 'clusters');
    expect(converged.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+READY\s+GROUPS\s+RESOURCES\s+AGE$/);
    expect(converged.stdout).toMatch(/^shop\s+converged\s+2\/2\s+1\s+2\s+\d+s$/m);
    write(3);
    expect((await run('apply', '-f', file)).code).toBe(0);
    expect((await run('get', 'clusters')).stdout).toMatch(/^shop\s+converging\s+2\/3\s/m);
    expect((await run('reconcile', 'shop', '--wait')).code).toBe(0);
    expect((await run('get', 'clusters', '--no-headers')).stdout).toMatch(/^shop\s+converged\s+3\/3\s+1\s+3\s+\d+s\n$/);
  });

  it('-o yaml is the -o json data; -o wide adds columns; --no-headers drops the header line', async () => {
    const json = JSON.parse((await run('-o', 'json', 'get', 'resources', 'shop')).stdout);
    const yaml = parse((await run('-o', 'yaml', 'get', 'resources', 'shop')).stdout);
    expect(yaml).toEqual(json);
    expect(parse((await run('get', 'clusters', '-o', 'yaml')).stdout)[0]).toMatchObject({ name: 'shop', status: 'converged', ready: '3/3' });
    const wide = await run('-o', 'wide', 'get', 'resources', 'shop');
    expect(wide.stdout.split('\n')[0]).toMatch(/^GROUP\s+RESOURCE\s+PROVIDER-ID\s+RECORD-STATE\s+PROVIDER-STATUS\s+ADDRESS\s+AGE\s+SPEC\s+ATTEMPTS\s+OBSERVED\s+UPDATED\s+ERROR$/);
    expect((await run('-o', 'wide', 'get', 'clusters')).stdout).toMatch(/GENERATION\s+ID\s+UPDATEDAT/);
    const bare = await run('get', 'resources', 'shop', '--no-headers');
    expect(bare.stdout.trim().split('\n')).toHaveLength(3);
    expect(bare.stdout).not.toContain('RECORD-STATE');
    const described = parse((await run('-o', 'yaml', 'describe', 'cluster', 'shop')).stdout);
    expect(described.cluster).toMatchObject({ name: 'shop', generation: 2 });
    expect((await run('events', 'shop', '-o', 'wide', '--limit', '2')).stdout.split('\n')[0]).toMatch(/^TIME\s+ID\s+TYPE\s+SUBJECT\s+PROVIDER-ID\s+CAUSE$/);
  });

  it('diff -f shows the configuration change field by field, then the planned actions; apply --dry-run stores nothing', async () => {
    write(5, '    maxSurge: 2\n');
    const result = await run('diff', '-f', file);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('cluster shop (');
    expect(result.stdout).toContain('2 change(s), generation 2 -> 3');
    expect(result.stdout).toContain('  ~ groups[web].size: 3 -> 5');
    expect(result.stdout).toContain('  ~ groups[web].policy.maxSurge: 1 -> 2');
    expect(result.stdout).toMatch(/web: 2 x create/);
    const json = JSON.parse((await run('-o', 'json', 'diff', '-f', file)).stdout);
    expect(json.changes).toEqual([
      { op: 'change', path: 'groups[web].size', from: 3, to: 5 },
      { op: 'change', path: 'groups[web].policy.maxSurge', from: 1, to: 2 },
    ]);
    expect((await run('diff', '-f', file, '--detailed-exitcode')).code).toBe(2);

    const dry = await run('apply', '-f', file, '--dry-run');
    expect(dry.stdout).toContain('cluster shop would be updated (dry run: nothing stored)');
    expect(JSON.parse((await run('-o', 'json', 'describe', 'cluster', 'shop')).stdout).cluster).toMatchObject({ generation: 2, spec: { groups: [{ size: 3 }] } });

    write(3);
    const same = await run('diff', '-f', file, '--detailed-exitcode');
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('the configuration is unchanged');
  });

  it('diff names a removed group, whose resources would be deleted', async () => {
    const two = join(box.root, 'two.yaml');
    const other = join(box.root, 'res/db');
    mkdirSync(other, { recursive: true });
    writeFileSync(two, `version: "1"\nname: shop\ngroups:\n  db:\n    size: 1\n    resourcePlugin: { name: file }\n    resourceProperties: { directory: ${other} }\n`);
    const result = await run('diff', '-f', two);
    expect(result.stdout).toContain('  - groups[web] (its resources are deleted)');
    expect(result.stdout).toMatch(/\+ groups\[db\]: \{"size":1,/);
    expect(result.stdout).toMatch(/web \(removed\).*\n/);
  });
});
