// Issue 11, "tried as a new operator would": the real CLI, the file plugin (and the hostile
// fixture), a real store; each case is a place where the CLI was stuck or silent.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kadende, resourceFiles, scratch } from './support/cli.js';

const box = scratch('operator');
afterAll(() => box.cleanup());
const fixtures = new URL('./fixtures/plugins', import.meta.url).pathname;
const env = { ...box.env, KADENDE_PLUGIN_PATH: fixtures, KADENDE_CREATE_BACKOFF_MS: '20' };
const run = (...args: string[]) => kadende(args, env);

// A regular file: a directory under it cannot exist, and the file plugin's describe fails (ENOTDIR).
const aFile = join(box.root, 'a-file');
writeFileSync(aFile, 'not a folder\n');

function config(name: string, directory: string, size = 1): string {
  const file = join(box.root, `${name}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `version: "1"\nname: ${name}\ngroups:\n  web:\n    size: ${size}\n    resourcePlugin: { name: file }\n    resourceProperties: { directory: ${JSON.stringify(directory)} }\n`);
  return file;
}

async function ok(...args: string[]) {
  const result = await run(...args);
  // Notes an operator is meant to see on stderr: apply's verdict, the progress lines of long work.
  expect(result.stderr.replace(/^cluster .*(created|updated|unchanged).*\n/m, '').replace(/^\[[\dms.]+\] .*\n/gm, '')).toBe('');
  expect(result.code).toBe(0);
  return result;
}

const clusters = async () => JSON.parse((await ok('-o', 'json', 'get', 'clusters')).stdout) as Array<{ name: string; deleting: boolean; resources: number }>;
const clusterNamed = async (name: string) => (await clusters()).find((c) => c.name === name);

describe('a cluster whose plugin cannot describe can still be removed', () => {
  it('takes a fixed configuration while deleting, and the delete goes on with it', async () => {
    const dir = join(box.root, 'fixed');
    await ok('apply', '-f', config('fixme', dir, 2));
    await ok('reconcile', 'fixme', '--wait');
    expect(resourceFiles(dir)).toHaveLength(2);
    // The operator breaks the directory, and deletes: the delete cannot see anything.
    await ok('apply', '-f', config('fixme', join(aFile, 'x'), 2));
    const stuck = await run('delete', 'cluster', 'fixme', '--timeout', '20');
    expect(stuck.code).toBe(1);
    expect(stuck.stderr).toContain('[KADENDE_ERR_CLUSTER_DELETE_INCOMPLETE]');
    expect(stuck.stderr).toContain('--orphan-resources');
    expect(await clusterNamed('fixme')).toMatchObject({ deleting: true });
    // Re-applying the right directory is taken; the cluster stays deleting, with the new properties.
    const fixed = await run('apply', '-f', config('fixme', dir, 2));
    expect(fixed.stderr).toContain('the delete goes on with this configuration');
    expect(fixed.code).toBe(0);
    expect(await clusterNamed('fixme')).toMatchObject({ deleting: true });
    expect(resourceFiles(dir)).toHaveLength(2);
    await ok('delete', 'cluster', 'fixme');
    expect(resourceFiles(dir)).toHaveLength(0);
    expect(await clusterNamed('fixme')).toBeUndefined();
  }, 120_000);

  it('--wait=false marks the cluster deleting and returns at once; the next reconciles finish it', async () => {
    const dir = join(box.root, 'nowait');
    await ok('apply', '-f', config('nowait', dir, 2));
    await ok('reconcile', 'nowait', '--wait');
    const started = Date.now();
    const result = JSON.parse((await ok('-o', 'json', 'delete', 'cluster', 'nowait', '--wait=false')).stdout);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result).toMatchObject({ clusterName: 'nowait', deleted: false });
    expect(resourceFiles(dir)).toHaveLength(2);
    expect(await clusterNamed('nowait')).toMatchObject({ deleting: true });
    for (let i = 0; i < 10 && (await clusterNamed('nowait')); i++) await ok('reconcile', 'nowait');
    expect(await clusterNamed('nowait')).toBeUndefined();
    expect(resourceFiles(dir)).toHaveLength(0);
    const bad = await run('delete', 'cluster', 'nowait', '--wait=maybe');
    expect(bad.code).toBe(2);
  }, 120_000);

  it('--orphan-resources forgets the records and the cluster, leaves the resources and says which', async () => {
    const dir = join(box.root, 'orphans');
    await ok('apply', '-f', config('orphans', dir, 2));
    await ok('reconcile', 'orphans', '--wait');
    const files = resourceFiles(dir);
    expect(files).toHaveLength(2);
    // The listing says which column is Kadende's record and which the provider's word.
    const listing = await ok('get', 'resources', 'orphans');
    expect(listing.stdout.split('\n')[0]).toMatch(/RECORD-STATE\s+PROVIDER-STATUS/);
    // Its describe now fails: the records are forgotten without asking the plugin anything.
    await ok('apply', '-f', config('orphans', join(aFile, 'z'), 2));
    const result = await ok('delete', 'cluster', 'orphans', '--orphan-resources');
    expect(result.stdout).toContain('2 resource(s) left in place');
    for (const f of files) expect(result.stdout).toContain(f.id);
    expect(await clusterNamed('orphans')).toBeUndefined();
    for (const f of files) expect(existsSync(f.file)).toBe(true);
  }, 120_000);
});

describe('reconcile --wait fails at once when a group cannot converge', () => {
  it('stops after a few identical describe failures, naming the group and the error, with one event', async () => {
    await ok('apply', '-f', config('blind', join(aFile, 'w')));
    const started = Date.now();
    const result = await run('-o', 'json', 'reconcile', 'blind', '--wait', '--timeout', '120');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.code).toBe(1);
    const { error } = JSON.parse(result.stderr.trim().split('\n').at(-1)!);
    expect(error.code).toBe('KADENDE_ERR_RECONCILE_STUCK');
    expect(error.message).toMatch(/web: describe failed 3 passes in a row: .*ENOTDIR/);
    // The plugin's code is said once ("ENOTDIR: not a directory", not "ENOTDIR: ENOTDIR: ...").
    expect(error.message).toContain(': ENOTDIR: not a directory');
    expect(error.message).not.toContain('ENOTDIR: ENOTDIR');
    // -o json keeps the last report in the error.
    expect(error.details.groups[0]).toMatchObject({ path: 'web', status: { reason: 'describe-failed' } });
    const events = JSON.parse((await ok('-o', 'json', 'events', 'blind')).stdout) as Array<{ type: string; data: { count?: number } }>;
    expect(events.filter((e) => e.type === 'io.kadende.group.describe-failed')).toHaveLength(1);
  }, 60_000);
});

describe('reconcile --wait --timeout bounds the whole command', () => {
  it('ends at its timeout while a describe never settles', async () => {
    const file = join(box.root, 'hang.yaml');
    writeFileSync(file, 'version: "1"\nname: hang\ngroups:\n  web:\n    size: 1\n    resourcePlugin: { name: hostile }\n    resourceProperties: { mode: mkdir-hang }\n');
    await ok('apply', '-f', file);
    const started = Date.now();
    // In-process, where a thread stuck in a system call cannot be terminated (a sandbox process is killed instead).
    const result = await kadende(['reconcile', 'hang', '--wait', '--timeout', '2'], { ...env, KADENDE_PLUGIN_ISOLATION: 'in-process' });
    const took = Date.now() - started;
    expect(result.stderr).toContain('[KADENDE_ERR_RECONCILE_TIMEOUT]');
    // The stuck plugin thread is ended with the process.
    expect(result.stderr).toContain('stuck in a system call');
    expect(result.code).not.toBe(0);
    expect(took).toBeLessThan(12_000);
  }, 60_000);
});

describe('a lookup never creates a store', () => {
  it('says there is no store in the data dir, names it, and leaves nothing behind', async () => {
    const dataDir = join(box.root, 'never-applied');
    for (const args of [['get', 'clusters'], ['reconcile', 'example'], ['events', 'example'], ['describe', 'cluster', 'example']]) {
      const result = await kadende(['--data-dir', dataDir, ...args], env);
      expect(result.stderr).toContain(`no store in ${join(dataDir, 'store')}`);
      expect(result.stderr).toContain('[KADENDE_ERR_STORE_NOT_FOUND]');
      expect(result.code).toBe(1);
      expect(existsSync(dataDir)).toBe(false);
    }
  }, 60_000);
});

describe('relative paths do not move with the shell', () => {
  it("resolves the file plugin's relative directory against the configuration's folder, once, at apply", async () => {
    const folder = join(box.root, 'conf');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    const file = join(folder, 'cluster.yaml');
    writeFileSync(file, 'version: "1"\nname: relative\ngroups:\n  web:\n    size: 1\n    resourcePlugin: { name: file }\n    resourceProperties: { directory: res/web }\n');
    // Applied from another folder, by a relative path to the file.
    const applied = await kadende(['apply', '-f', '../cluster.yaml'], env, undefined, join(folder, 'sub'));
    expect(applied.code).toBe(0);
    const described = JSON.parse((await ok('-o', 'json', 'describe', 'cluster', 'relative')).stdout);
    expect(described.cluster.spec.groups[0].properties.directory).toBe(join(folder, 'res/web'));
    await ok('reconcile', 'relative', '--wait');
    expect(resourceFiles(join(folder, 'res/web'))).toHaveLength(1);
    await ok('delete', 'cluster', 'relative');
  }, 90_000);
});
