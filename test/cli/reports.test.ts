// Issue 10 and 11 through the real CLI: a failed create is not success, the report says what the
// pass left and how long the command took, and long work shows progress on stderr.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, kadende, resourceFiles, scratch, startCli } from '../support/cli.js';
import { freePort, until } from '../support/nats-server.js';

const box = scratch('reports');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  box.cleanup();
});
const env = { ...box.env, KADENDE_PLUGIN_PATH: new URL('../fixtures/plugins', import.meta.url).pathname, KADENDE_CREATE_BACKOFF_MS: '20' };
const run = (...args: string[]) => kadende(args, env);

function config(name: string, group: string): string {
  const file = join(box.root, `${name}.yaml`);
  writeFileSync(file, `version: "1"\nname: ${name}\ngroups:\n${group}`);
  return file;
}
const fileGroup = (name: string, size: number, directory: string, status?: 'pending') =>
  `  ${name}:\n    size: ${size}\n    resourcePlugin: { name: file }\n    resourceProperties: { directory: ${directory}${status ? `, status: ${status}` : ''} }\n`;

/**
 * A group of `status: pending` resources takes passes to converge: the file plugin makes them
 * pending, and they start when this marks their files active (as a cloud's instances start), once
 * `count` have been created and `ready()` says the waiting has been shown.
 */
async function startWhenCreated(dir: string, count: number, ready: () => boolean): Promise<void> {
  await until(() => resourceFiles(dir).length === count && ready(), 30_000, `${count} pending resources in ${dir}`);
  for (const { file, id, tags } of resourceFiles(dir)) writeFileSync(file, JSON.stringify({ id, status: 'active', tags }));
}

describe('a failed create is not success', () => {
  it('a one-shot pass whose creates gave up exits 1 with KADENDE_ERR_PASS_INCOMPLETE, naming each resource and its error', async () => {
    const dir = join(box.root, 'res/flaky');
    mkdirSync(dir, { recursive: true });
    const file = config('flaky', `  only:\n    size: 1\n    resourcePlugin: { name: faulty, version: 1.0.0 }\n    resourceProperties: { directory: ${dir}, fault: fail-creates }\n`);
    expect((await run('apply', '-f', file)).code).toBe(0);
    const human = await run('reconcile', 'flaky');
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/only: FAILED create of [0-9a-f-]{36}: KADENDE_ERR_PLUGIN_THREW: gave up after 3 attempts: .*create number 3 refused on purpose/);
    expect(human.stderr).toMatch(/kadende: cluster flaky is not reconciled: only: create of [0-9a-f-]{36} failed: gave up after 3 attempts: .*\[KADENDE_ERR_PASS_INCOMPLETE\]/);

    // The failed record holds its slot: the next pass tries nothing, and says the group cannot converge without an operator.
    const json = await run('-o', 'json', 'reconcile', 'flaky');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.groups[0].status).toMatchObject({ reason: 'creates-failed', failed: 1 });
    const error = JSON.parse(json.stderr).error;
    expect(error).toMatchObject({ code: 'KADENDE_ERR_PASS_INCOMPLETE', details: { clusterName: 'flaky' } });
    expect(error.message).toContain('--retry-failed');
  });

  it('-o json carries the failures in the report', async () => {
    const dir = join(box.root, 'res/flaky2');
    mkdirSync(dir, { recursive: true });
    const file = config('flaky2', `  only:\n    size: 2\n    resourcePlugin: { name: faulty, version: 1.0.0 }\n    resourceProperties: { directory: ${dir}, fault: fail-creates }\n`);
    expect((await run('apply', '-f', file)).code).toBe(0);
    const result = await run('-o', 'json', 'reconcile', 'flaky2');
    expect(result.code).toBe(1);
    const failures = JSON.parse(result.stdout).groups[0].failures;
    expect(failures).toHaveLength(2);
    for (const failure of failures) {
      expect(failure).toMatchObject({ call: 'create', resourceId: expect.stringMatching(/^[0-9a-f-]{36}$/), code: 'KADENDE_ERR_PLUGIN_THREW', message: expect.stringContaining('refused on purpose') });
    }
    expect(JSON.parse(result.stderr).error.details.groups[0].failures).toEqual(failures);
  });
});

describe('the report says what the pass left', () => {
  it('a one-shot repair reports the repaired group, and the next pass says converged', async () => {
    const dir = join(box.root, 'res/repair');
    expect((await run('apply', '-f', config('repair', fileGroup('web', 3, dir)))).code).toBe(0);
    expect((await run('reconcile', 'repair', '--wait')).code).toBe(0);
    const [sick] = resourceFiles(dir);
    writeFileSync(sick!.file, JSON.stringify({ id: sick!.id, status: 'unhealthy', tags: sick!.tags }));
    const repair = await run('-o', 'json', 'reconcile', 'repair');
    expect(repair.code).toBe(0);
    expect(JSON.parse(repair.stdout).groups[0].status).toMatchObject({ healthy: 3, unhealthy: 0, actual: 3 });
    const next = JSON.parse((await run('-o', 'json', 'reconcile', 'repair')).stdout);
    expect(next.converged).toBe(true);
    expect(next.groups[0].status).toMatchObject({ reason: 'converged', healthy: 3 });
  });
});

describe('progress on stderr', () => {
  it('reconcile --wait appends one line per group change when stderr is not a terminal; nothing with -o json', async () => {
    const dir = join(box.root, 'res/progress');
    expect((await run('apply', '-f', config('progress', fileGroup('web', 2, dir, 'pending')))).code).toBe(0);
    let stderr = '';
    const waiting = new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'reconcile', 'progress', '--wait', '--timeout', '30'], { env: { ...process.env, KADENDE_CONFIG: join(box.root, 'no-config.yaml'), ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(child);
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', resolve);
    });
    await startWhenCreated(dir, 2, () => stderr.includes('waiting for 2 to become ready'));
    expect(await waiting, stderr).toBe(0);
    // Passes that find the same as the one before print nothing.
    const lines = stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^\[\d+\.\ds\] reconcile progress: web: 0\/2 ready; created 2 \(waiting: 0 of 2 ready; waiting for 2 to become ready\)$/),
      expect.stringMatching(/^\[\d+\.\ds\] reconcile progress: web: 2\/2 ready \(converged\)$/),
    ]);

    // The same wait with -o json: a pass (which a person would see as a line) and nothing on stderr.
    const json = await run('-o', 'json', 'reconcile', 'progress', '--wait');
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout).converged).toBe(true);
  });

  it('delete cluster shows what is being deleted while it waits', async () => {
    const result = await run('delete', 'cluster', 'progress');
    expect(result.code).toBe(0);
    // The describe after the deletes no longer lists the resources: the same pass forgets them.
    expect(result.stderr).toMatch(/^\[\d+\.\ds\] delete cluster progress: web \(removed\): 0\/0 ready; deleted 2 \(converged\)$/m);
    expect(result.stdout).toContain('deleted');
  });

  it('plugin install says what it is doing on stderr; nothing with -o json', async () => {
    const packed = await run('plugin', 'pack', new URL('../fixtures/distribution/echo', import.meta.url).pathname, '--out-dir', box.root);
    expect(packed.code, packed.stderr).toBe(0);
    const url = `file://${join(box.root, 'echo-1.0.0.tgz')}`;
    const result = await run('plugin', 'install', url);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^\\[\\d+\\.\\ds\\] plugin install: downloading ${url}$`)),
      expect.stringMatching(/^\[\d+\.\ds\] plugin install: echo@1\.0\.0 downloaded and verified \(sha512-.*\); checking that it loads$/),
      expect.stringMatching(/^\[\d+\.\ds\] plugin install: echo@1\.0\.0 verified, unpacked and loaded$/),
    ]);
    const json = await run('-o', 'json', 'plugin', 'install', url);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout).pin).toMatchObject({ name: 'echo', version: '1.0.0' });
  });

  it('reconcile --wait and delete cluster through a daemon show its passes too', async () => {
    const port = await freePort();
    const server = `http://127.0.0.1:${port}`;
    const daemonEnv = { ...process.env, ...env, KADENDE_DATA_DIR: join(box.root, 'daemon-data'), KADENDE_TOKEN: 'reports-test-token-0123456789' };
    // A long interval: the passes shown are the request's own.
    const daemon = startCli(['daemon', '--port', String(port), '--interval', '600'], daemonEnv, children);
    await until(() => daemon.output().includes('kadende daemon ready'), 30_000, 'daemon ready');
    const remote = (...args: string[]) => kadende(['--server', server, ...args], daemonEnv);
    const dir = join(box.root, 'res/remote');
    expect((await remote('apply', '-f', config('remote', fileGroup('web', 2, dir)))).code).toBe(0);
    const result = await remote('reconcile', 'remote', '--wait');
    expect(result.code, result.stderr).toBe(0);
    // The daemon reconciles at once on apply, so the wait may have one pass left to show (or none to poll).
    expect(result.stderr).toMatch(/^\[\d+\.\ds\] reconcile remote: web: 2\/2 ready.* \(converged\)$/m);
    const deleted = await remote('delete', 'cluster', 'remote');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stderr).toMatch(/^\[\d+\.\ds\] delete cluster remote: web \(removed\): 0\/0 ready.* \(converged\)$/m);
    daemon.child.kill('SIGTERM');
  }, 120_000);

  it('reconcile --wait on a terminal (a pseudo-terminal: script(1)) redraws its lines in place', async () => {
    const dir = join(box.root, 'res/tty');
    expect((await run('apply', '-f', config('tty', fileGroup('web', 2, dir, 'pending')))).code).toBe(0);
    const command = [process.execPath, CLI, 'reconcile', 'tty', '--wait'].map((w) => `'${w}'`).join(' ');
    let drawn = '';
    const output = new Promise<string>((resolve, reject) => {
      const child = execFile('script', ['-qec', command, '/dev/null'], { env: { ...process.env, ...env, KADENDE_CONFIG: join(box.root, 'no-config.yaml') }, timeout: 60_000 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      );
      child.stdout?.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
    });
    // Started once a second pass has been drawn: the block is redrawn for it, and again at the end.
    await startWhenCreated(dir, 2, () => drawn.includes('pass 2'));
    await output.then((text) => (drawn = text));
    // The block (title with the clock and pass, a line per group) is drawn, then climbed over and cleared for each redraw.
    expect(drawn).toMatch(/reconcile tty: \d+\.\ds\r?\n/);
    expect(drawn).toContain('\x1b[1A\x1b[0J');
    expect(drawn).toMatch(/\x1b\[2A\x1b\[0Jreconcile tty: \d+\.\ds, pass 2\r?\n {2}web: 0\/2 ready/);
    expect(drawn).toMatch(/\x1b\[2A\x1b\[0Jreconcile tty: \d+\.\ds, pass \d+\r?\n {2}web: 2\/2 ready \(converged\)/);
    expect(drawn).toContain('Reconciled tty');
  }, 90_000);
});
