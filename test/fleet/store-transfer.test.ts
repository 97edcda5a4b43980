/**
 * `kadende store export | import` with the real CLI: LevelDB -> NATS -> LevelDB gives identical
 * data (every line but the header's time), the cluster stays its installation's own on the new
 * store (a reconcile there creates nothing), an import into a store that holds clusters is
 * refused, and a bad line anywhere is named (file:line: field) with nothing imported.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kadende, resourceFiles, tempDir } from '../support/cli.js';
import { natsServerForFile } from '../support/nats-server.js';
import { fileCluster } from '../support/service.js';

const box = tempDir('store-transfer');
const home = (name: string) => ({ KADENDE_DATA_DIR: join(box.root, name), KADENDE_CACHE_DIR: join(box.root, 'cache') });
const file = (name: string) => join(box.root, name);
const server = natsServerForFile(beforeAll, afterAll, box.cleanup);

const ok = async (args: string[], env: Record<string, string>) => {
  const result = await kadende(args, env);
  expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result;
};
/** The export without the header's time: what must survive a round trip. */
const content = (path: string) => readFileSync(path, 'utf8').replace(/"exportedAt":"[^"]+"/, '');

describe('store export and import', () => {
  it('moves a store LevelDB -> NATS -> LevelDB with identical data, and the resources stay its own', async () => {
    for (const [name, size] of [['shop', 2], ['blog', 1]] as const) {
      writeFileSync(file(`${name}.yaml`), fileCluster(name, file(`res-${name}`), size));
      await ok(['apply', '-f', file(`${name}.yaml`)], home('a'));
      await ok(['reconcile', name, '--wait', '--timeout', '30'], home('a'));
    }
    await ok(['store', 'export', '--file', file('a.jsonl')], home('a'));
    const lines = readFileSync(file('a.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ kind: 'header', format: 'kadende-store-export', version: 1 });
    expect(lines.filter((l) => l.kind === 'cluster').map((l) => l.cluster.name).sort()).toEqual(['blog', 'shop']);
    expect(lines.filter((l) => l.kind === 'resource')).toHaveLength(3);
    expect(lines.filter((l) => l.kind === 'event').length).toBeGreaterThan(3);

    const imported = await ok(['--store', server().url, '-o', 'json', 'store', 'import', file('a.jsonl')], home('cli'));
    expect(JSON.parse(imported.stdout)).toMatchObject({ clusters: 2, resources: 3, installation: lines[0].installation });
    await ok(['--store', server().url, 'store', 'export', '--file', file('n.jsonl')], home('cli'));
    expect(content(file('n.jsonl'))).toBe(content(file('a.jsonl')));

    // On the NATS store the resources are still this installation's: a reconcile finds them converged.
    const before = resourceFiles(file('res-shop')).map((r) => r.id).sort();
    const report = JSON.parse((await ok(['--store', server().url, '-o', 'json', 'reconcile', 'shop'], home('cli'))).stdout);
    expect(report.converged).toBe(true);
    expect(resourceFiles(file('res-shop')).map((r) => r.id).sort()).toEqual(before);

    await ok(['store', 'import', file('n.jsonl')], home('b'));
    await ok(['store', 'export', '--file', file('b.jsonl')], home('b'));
    expect(content(file('b.jsonl'))).toBe(content(file('a.jsonl')));
  });

  it('refuses a store that holds clusters unless --force, which replaces clusters of the same id', async () => {
    const again = await kadende(['--store', server().url, 'store', 'import', file('a.jsonl')], home('cli'));
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('KADENDE_ERR_IMPORT_NOT_EMPTY');
    expect(again.stderr).toContain('already holds 2 clusters');
    const forced = await ok(['--store', server().url, '-o', 'json', 'store', 'import', '--force', file('a.jsonl')], home('cli'));
    // Same ids, same events: nothing is doubled.
    expect(JSON.parse(forced.stdout)).toMatchObject({ clusters: 2, resources: 3, events: 0, removedResources: 0 });
    await ok(['--store', server().url, 'store', 'export', '--file', file('n2.jsonl')], home('cli'));
    expect(content(file('n2.jsonl'))).toBe(content(file('a.jsonl')));
  });

  it('names each bad line, and imports nothing when one line is wrong', async () => {
    const lines = readFileSync(file('a.jsonl'), 'utf8').trim().split('\n');
    const resourceLine = lines.findIndex((l) => l.includes('"kind":"resource"'));
    const broken = [...lines];
    broken[resourceLine] = broken[resourceLine]!.replace(/"state":"[a-z]+"/, '"state":"bogus"');
    broken.push('{"kind":"event","event":{"nope":1}}', 'not json');
    writeFileSync(file('bad.jsonl'), `${broken.join('\n')}\n`);
    const result = await kadende(['store', 'import', file('bad.jsonl')], home('c'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('KADENDE_ERR_IMPORT_INVALID');
    expect(result.stderr).toContain('3 problems in');
    expect(result.stderr).toContain(`bad.jsonl:${resourceLine + 1}: resource.state:`);
    expect(result.stderr).toContain(`bad.jsonl:${broken.length - 1}: event.`);
    expect(result.stderr).toContain(`bad.jsonl:${broken.length}: not JSON`);
    // Nothing was written: the data dir has no store at all.
    const listed = await kadende(['get', 'clusters'], home('c'));
    expect(listed.stderr).toContain('KADENDE_ERR_STORE_NOT_FOUND');
  });
});
