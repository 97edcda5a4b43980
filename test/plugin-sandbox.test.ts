// A hostile plugin against the host's pool: faults stay with the calls they
// belong to, host ceilings beat the manifest, and output and error text stay bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPluginFolder, type PluginFolder } from '../host/plugins/manifest.js';
import { PluginPool, type PluginCallError } from '../host/plugins/pool.js';
import type { PluginLogLine } from '../host/plugins/output.js';

const fixture = new URL('./fixtures/plugins/hostile/', import.meta.url).pathname;
let folder: PluginFolder;
const logged: PluginLogLine[] = [];
const ceilings = { timeoutMs: 20_000, memoryMb: 256, concurrency: 8 };

beforeAll(async () => {
  folder = await readPluginFolder(fixture);
});

const call = (pool: PluginPool, mode: string, n = 0, size = 0) => pool.call('describe', { tags: { n: String(n) }, properties: { mode, n, size } });

describe('fault attribution in a shared pool', () => {
  let pool: PluginPool;
  beforeAll(() => {
    pool = new PluginPool(folder, { ceilings, log: (line) => logged.push(line) });
  });
  afterAll(() => pool.close());

  it('a storm of 500 mixed calls: each error is its own, no call that answered is failed by a crash', async () => {
    const special: Record<number, string> = { 7: 'crash', 19: 'answer-then-crash', 11: 'unclonable', 3: 'null-prototype' };
    const modes = Array.from({ length: 500 }, (_, n) => special[n % 25] ?? (n % 3 === 0 ? 'throw' : 'echo'));
    const expectedError: Record<string, (n: number) => [string, string]> = {
      throw: (n) => ['KADENDE_ERR_PLUGIN_THREW', `plugin hostile@1.0.0: describe failed: HOSTILE_E${n}: call ${n} failed on purpose`],
      'null-prototype': () => ['KADENDE_ERR_PLUGIN_THREW', 'plugin hostile@1.0.0: describe failed: HOSTILE_NULL: a null-prototype rejection'],
      unclonable: () => ['KADENDE_ERR_PLUGIN_BAD_RESPONSE', expect.stringContaining('the answer cannot be sent to the host') as unknown as string],
    };
    const results = await Promise.allSettled(modes.map((mode, n) => call(pool, mode, n)));
    const crashCauses = new Set(modes.flatMap((mode, n) => (mode.includes('crash') ? [`crash ${n}`] : [])));
    const misattributed: string[] = [];
    const collateral: string[] = [];
    let inFlightAtACrash = 0;
    results.forEach((result, n) => {
      const mode = modes[n]!;
      if (result.status === 'fulfilled') {
        const resources = (result.value as { resources: Array<{ id: string; tags: { n: string } }> }).resources;
        if (!(mode === 'echo' || mode === 'answer-then-crash') || resources[0]?.id !== `r${n}` || resources[0]?.tags.n !== String(n)) misattributed.push(`${n} ${mode}: ${JSON.stringify(result.value)}`);
        return;
      }
      const error = result.reason as PluginCallError;
      if (error.code === 'KADENDE_ERR_PLUGIN_CRASHED') {
        // Failed with the crash of its thread: the cause is one of the crashes, named in full.
        const cause = /: (crash \d+)$/.exec(error.message)?.[1];
        if (!cause || !crashCauses.has(cause)) misattributed.push(`${n} ${mode}: ${error.message}`);
        if (mode === 'answer-then-crash' && cause === `crash ${n}`) collateral.push(`${n} answered, then was failed by its own crash`);
        if (mode !== 'crash') inFlightAtACrash += 1;
        return;
      }
      if (mode === 'answer-then-crash') collateral.push(`${n}: ${error.message}`);
      else {
        const expected = expectedError[mode]?.(n);
        const own = expected && error.code === expected[0] && (typeof expected[1] === 'string' ? error.message === expected[1] : error.message.includes('the answer cannot be sent to the host'));
        if (!own) misattributed.push(`${n} ${mode}: ${error.code} ${error.message}`);
      }
    });
    expect(misattributed).toEqual([]);
    expect(collateral).toEqual([]);
    // Answer-then-crash calls keep their answers (one may still fall to a neighbour's crash while in flight).
    expect(modes.filter((mode, n) => mode === 'answer-then-crash' && results[n]!.status === 'fulfilled').length).toBeGreaterThan(10);
    // Every crash call failed, and the pool kept serving.
    expect(modes.filter((mode, n) => mode === 'crash' && results[n]!.status === 'fulfilled')).toEqual([]);
    expect(inFlightAtACrash).toBeLessThan(250);
    expect(await call(pool, 'echo', 1)).toMatchObject({ resources: [{ id: 'r1' }] });
  }, 120_000);

  it("an answer forged in the plugin's thread, past the SDK's worker, is a bad response, and the pool keeps serving", async () => {
    await expect(call(pool, 'forged-object')).rejects.toMatchObject({ code: 'KADENDE_ERR_PLUGIN_BAD_RESPONSE', message: expect.stringContaining('its thread sent something other than an answer') });
    await expect(call(pool, 'forged-text')).rejects.toMatchObject({ code: 'KADENDE_ERR_PLUGIN_BAD_RESPONSE', message: expect.stringContaining('its thread sent an answer that is not JSON') });
    expect(await call(pool, 'echo', 2)).toMatchObject({ resources: [{ id: 'r2' }] });
  });

  it('an answer that cannot be sent as JSON fails that call as a bad response, not its neighbours', async () => {
    const results = await Promise.allSettled([call(pool, 'unclonable'), ...Array.from({ length: 6 }, (_, i) => call(pool, 'echo', 100 + i))]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: 'KADENDE_ERR_PLUGIN_BAD_RESPONSE', message: expect.stringContaining('the answer cannot be sent to the host') } });
    expect(results.slice(1).map((r) => r.status)).toEqual(Array(6).fill('fulfilled'));
  });
});
