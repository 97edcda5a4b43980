// A hostile plugin against host-owned limits and bounded output: the manifest
// asks for an hour per call and 16 GB, prints floods and throws megabytes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPluginFolder, type PluginFolder } from '../host/plugins/manifest.js';
import { PluginPool, hostCeilings, MAX_PLUGIN_ERROR_TEXT } from '../host/plugins/pool.js';
import { BUDGET, type PluginLogLine } from '../host/plugins/output.js';
import { kadende, scratch } from './support/cli.js';

const fixtures = new URL('./fixtures/plugins/', import.meta.url).pathname;
let folder: PluginFolder;
beforeAll(async () => {
  folder = await readPluginFolder(join(fixtures, 'hostile'));
});
const call = (pool: PluginPool, mode: string, size = 0, method: 'describe' | 'create' = 'describe') =>
  method === 'describe'
    ? pool.call('describe', { tags: { a: '1' }, properties: { mode, size } })
    : pool.call('create', { tags: { a: '1', b: '2' }, properties: { mode, size }, token: 't' });

describe('host-owned limits', () => {
  it('ceilings come from KADENDE_PLUGIN_MAX_*, default 120000 ms, and refuse nonsense', () => {
    expect(hostCeilings({})).toEqual({ timeoutMs: 120_000, memoryMb: 2048, concurrency: 64 });
    expect(hostCeilings({ KADENDE_PLUGIN_MAX_TIMEOUT_MS: '900' }).timeoutMs).toBe(900);
    expect(() => hostCeilings({ KADENDE_PLUGIN_MAX_TIMEOUT_MS: 'soon' })).toThrow(expect.objectContaining({ code: 'KADENDE_ERR_PLUGIN_LIMIT_SETTING' }));
  });

  it('a manifest cannot raise them; a call that never settles ends at the ceiling, its thread retired and replaced (in-process)', async () => {
    const pool = new PluginPool(folder, { isolation: 'in-process', ceilings: hostCeilings({ KADENDE_PLUGIN_MAX_TIMEOUT_MS: '800' }), log: () => {} });
    try {
      expect(folder.limits).toMatchObject({ timeoutMs: 3_600_000, memoryMb: 16_384 });
      expect(pool.limits).toEqual({ timeoutMs: 800, memoryMb: 2048, concurrency: 8 });
      // A warm thread first, so what is timed is the call, not a thread's start on a loaded machine.
      expect(await call(pool, 'echo')).toMatchObject({ resources: [{ id: 'r0' }] });
      const started = Date.now();
      await expect(call(pool, 'mkdir-hang')).rejects.toMatchObject({ code: 'KADENDE_ERR_PLUGIN_TIMEOUT', message: expect.stringContaining('no answer within 800 ms') });
      // Far below the manifest's hour, with room for a busy CI machine.
      expect(Date.now() - started).toBeLessThan(10_000);
      // The thread is out of service at once, and a new one serves the next call. (Its termination
      // never completes: the stuck mkdir is native work that only ending the process stops.)
      expect(pool.threads!.size).toBe(0);
      expect(await call(pool, 'echo')).toMatchObject({ resources: [{ id: 'r0' }] });
      expect(pool.threads!.started).toBe(2);
      expect(pool.threads!.stuck).toBe(1);
    } finally {
      const closing = Date.now();
      await pool.close();
      expect(Date.now() - closing).toBeLessThan(5_000);
    }
  });

  it('in a sandbox, a call that never settles ends at the ceiling and its sandbox process is killed and replaced', async () => {
    const pool = new PluginPool(folder, { isolation: 'sandbox', ceilings: hostCeilings({ KADENDE_PLUGIN_MAX_TIMEOUT_MS: '800' }), log: () => {} });
    try {
      expect(await call(pool, 'echo')).toMatchObject({ resources: [{ id: 'r0' }] });
      const sandbox = pool.sandboxes.get('')!;
      const pid = sandbox.pid!;
      await expect(call(pool, 'hang')).rejects.toMatchObject({ code: 'KADENDE_ERR_PLUGIN_TIMEOUT', message: expect.stringContaining('no answer within 800 ms') });
      // Ending the process ends whatever its threads were stuck in, native calls included.
      await expect.poll(() => alive(pid), { timeout: 5_000 }).toBe(false);
      expect(await call(pool, 'echo')).toMatchObject({ resources: [{ id: 'r0' }] });
      expect(sandbox.started).toBe(2);
      expect(sandbox.pid).not.toBe(pid);
    } finally {
      await pool.close();
    }
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('output and error text stay bounded', () => {
  it("a plugin's stdout and stderr become bounded structured lines naming it, never the host's stdout", async () => {
    const lines: PluginLogLine[] = [];
    const pool = new PluginPool(folder, { log: (line) => lines.push(line) });
    try {
      await call(pool, 'spam', 5_000);
      await expect.poll(() => lines.some((line) => line.stream === 'host'), { timeout: 10_000 }).toBe(true);
    } finally {
      await pool.close();
    }
    expect(lines[0]).toMatchObject({ component: 'plugin', plugin: 'hostile@1.0.0', stream: 'stdout', msg: expect.stringMatching(/^spam line 0 x+$/) });
    const kept = lines.filter((line) => line.stream !== 'host');
    expect(kept.reduce((sum, line) => sum + line.msg.length, 0)).toBeLessThanOrEqual(BUDGET);
    expect(lines.find((line) => line.stream === 'host')).toMatchObject({ plugin: 'hostile@1.0.0', msg: expect.stringContaining("the plugin's output passed 262144 characters this minute") });
  });

  it('a 5 MB error message is cut to 64 KB before it leaves the pool', async () => {
    const pool = new PluginPool(folder, { log: () => {} });
    try {
      const error = (await call(pool, 'big-message', 5_000_000).catch((e: Error) => e)) as Error;
      expect(error).toMatchObject({ code: 'KADENDE_ERR_PLUGIN_THREW' });
      expect(error.message.length).toBeLessThan(MAX_PLUGIN_ERROR_TEXT + 200);
      expect(error.message).toMatch(/more characters cut\]$/);
    } finally {
      await pool.close();
    }
  });

  it("a plugin's stdout spam stays out of the CLI's -o json output", async () => {
    const box = scratch('spam');
    try {
      const env = { ...box.env, KADENDE_PLUGIN_PATH: fixtures };
      const file = join(box.root, 'cluster.yaml');
      writeFileSync(file, 'version: "1"\nname: noisy\ngroups:\n  only:\n    size: 0\n    resourcePlugin: { name: hostile, version: 1.0.0 }\n    resourceProperties: { mode: spam, size: 50 }\n');
      expect((await kadende(['apply', '-f', file], env)).code).toBe(0);
      const result = await kadende(['-o', 'json', 'plan', 'noisy'], env);
      expect(result.code).toBe(0);
      expect(() => JSON.parse(result.stdout)).not.toThrow();
      expect(result.stdout).not.toContain('spam line');
      expect(result.stderr).toContain('"plugin":"hostile@1.0.0"');
    } finally {
      box.cleanup();
    }
  });
});

describe('contract breaches are errors', () => {
  let pool: PluginPool;
  beforeAll(() => {
    pool = new PluginPool(folder, { log: () => {} });
  });
  afterAll(() => pool.close());

  it('a created resource without the requested tags is a bad response naming them and the resource', async () => {
    await expect(call(pool, 'untagged', 0, 'create')).rejects.toMatchObject({
      code: 'KADENDE_ERR_PLUGIN_BAD_RESPONSE',
      message: expect.stringContaining('the created resource "leaked" does not carry the requested tag(s) a=1, b=2'),
    });
  });

  it('a describe answer with resources not carrying the requested tags is reported', async () => {
    await expect(call(pool, 'untagged')).rejects.toMatchObject({
      code: 'KADENDE_ERR_PLUGIN_BAD_RESPONSE',
      message: expect.stringContaining('resource(s) "stray" do not carry the requested tags'),
    });
  });

  it('a thrown plain object prints as its JSON, never [object Object]', async () => {
    const error = (await call(pool, 'object').catch((e: Error) => e)) as Error;
    expect(error).toMatchObject({ code: 'KADENDE_ERR_PLUGIN_THREW' });
    expect(error.message).toBe('plugin hostile@1.0.0: describe failed: {"reason":"not an Error","retry":false}');
  });
});
