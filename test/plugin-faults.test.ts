// Each way a plugin can misbehave fails one call with a clear, coded error
// naming the plugin and the call; the pool (and the host) keep working.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPluginFolder } from '../host/plugins/manifest.js';
import { PluginPool } from '../host/plugins/pool.js';

const fixture = new URL('./fixtures/plugins/faulty/', import.meta.url).pathname;
let pool: PluginPool;
let directory: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'kadende-faults-'));
  process.env.KADENDE_TEST_VISIBLE = 'declared';
  process.env.KADENDE_TEST_HIDDEN = 'secret';
  pool = new PluginPool(await readPluginFolder(fixture));
});
afterAll(async () => {
  await pool.close();
  rmSync(directory, { recursive: true, force: true });
});

const describeWith = (fault: string) => pool.call('describe', { tags: {}, properties: { directory, fault } });
const healthy = async () => expect(await describeWith('none')).toEqual({ resources: [] });

describe('plugin faults', () => {
  it('a plugin that throws fails the call with its message and code', async () => {
    await expect(describeWith('throw')).rejects.toMatchObject({
      code: 'KADENDE_ERR_PLUGIN_THREW',
      message: 'plugin faulty@1.0.0: describe failed: FAULTY_BOOM: describe exploded on purpose',
    });
    await healthy();
  });

  it('a plugin that hangs is terminated at its timeout', async () => {
    await expect(describeWith('hang')).rejects.toMatchObject({
      code: 'KADENDE_ERR_PLUGIN_TIMEOUT',
      message: expect.stringMatching(/^plugin faulty@1\.0\.0: describe failed: no answer within 1500 ms/),
    });
    await healthy();
  });

  it('a plugin that exits its worker fails the call; the pool replaces the worker', async () => {
    await expect(describeWith('exit')).rejects.toMatchObject({
      code: 'KADENDE_ERR_PLUGIN_CRASHED',
      message: expect.stringContaining('plugin faulty@1.0.0: describe failed: the worker died'),
    });
    await healthy();
  });

  it('a plugin that runs out of memory hits its heap limit, not the host', async () => {
    await expect(describeWith('oom')).rejects.toMatchObject({
      code: 'KADENDE_ERR_PLUGIN_OUT_OF_MEMORY',
      message: expect.stringContaining('ran out of memory (limit 32 MB)'),
    });
    await healthy();
  });

  it('an answer that breaks the contract is refused, never trusted', async () => {
    await expect(describeWith('garbage')).rejects.toMatchObject({
      code: 'KADENDE_ERR_PLUGIN_BAD_RESPONSE',
      message: expect.stringMatching(/^plugin faulty@1\.0\.0: describe failed: answer breaks the contract: .*\/resources: must be array/),
    });
    await expect(pool.call('create', { properties: { directory, fault: 'garbage' }, tags: {}, token: 't1' })).rejects.toMatchObject({
      code: 'KADENDE_ERR_PLUGIN_BAD_RESPONSE',
    });
    await healthy();
  });

  it('a request that breaks the contract never reaches the plugin', async () => {
    await expect(pool.call('create', { properties: { directory }, tags: {} })).rejects.toMatchObject({
      code: 'KADENDE_ERR_PLUGIN_REQUEST',
      message: expect.stringContaining("must have required property 'token'"),
    });
  });

  it('the worker sees only the env names its manifest declares', async () => {
    const { resources } = await describeWith('env') as { resources: Array<{ tags: Record<string, string> }> };
    expect(resources[0]!.tags).toEqual({ visible: 'declared', hidden: 'undefined' });
  });

  it('faults in parallel calls stay in their own calls', async () => {
    writeFileSync(join(directory, 'x.json'), JSON.stringify({ id: 'x', status: 'active', tags: { a: 'b' } }));
    const errorsBefore = pool.stats.errors;
    const results = await Promise.allSettled([describeWith('throw'), describeWith('none'), describeWith('garbage'), describeWith('none')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    // Each fault failed its own call with its own error; the healthy calls got the real answer.
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : r.value))).toEqual([
      'KADENDE_ERR_PLUGIN_THREW',
      { resources: [expect.objectContaining({ id: 'x', status: 'active', tags: { a: 'b' } })] },
      'KADENDE_ERR_PLUGIN_BAD_RESPONSE',
      { resources: [expect.objectContaining({ id: 'x', status: 'active', tags: { a: 'b' } })] },
    ]);
    expect(pool.stats.errors - errorsBefore).toBe(2);
  });

  it('runs calls in parallel, never more at once than the manifest allows', async () => {
    const answers = (await Promise.all(Array.from({ length: 6 }, () => describeWith('slow')))) as Array<{ resources: Array<{ tags: { inFlight: string } }> }>;
    const seen = answers.map((a) => Number(a.resources[0]!.tags.inFlight));
    // limits.concurrency is 2 for this plugin.
    expect(Math.max(...seen)).toBe(2);
  });

  it('keeps limits.concurrency calls in flight even with fewer threads (no abortable piscina tasks)', async () => {
    // piscina runs an abortable task alone on its thread; the host must not make calls abortable.
    const folder = await readPluginFolder(fixture);
    const wide = new PluginPool({ ...folder, limits: { ...folder.limits, concurrency: 6 } });
    const markers = mkdtempSync(join(tmpdir(), 'kadende-wide-'));
    const slow = () => wide.call('describe', { tags: {}, properties: { directory: markers, fault: 'slow' } }) as Promise<{ resources: Array<{ tags: { inFlight: string } }> }>;
    try {
      await Promise.all(Array.from({ length: 6 }, slow)); // threads started
      const answers = await Promise.all(Array.from({ length: 12 }, slow));
      expect(Math.max(...answers.map((a) => Number(a.resources[0]!.tags.inFlight)))).toBe(6);
    } finally {
      await wide.close();
      rmSync(markers, { recursive: true, force: true });
    }
  });
});
