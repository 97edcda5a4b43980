/**
 * "Never fight another installation": two installations (two LevelDB data
 * dirs) given the same cluster id and the same directory. Before
 * kadende.installation, three single passes (A, B, A) with orphanMinAgeSeconds
 * 0 left the directory empty: each deleted the other's resources as orphans.
 * Now each resource carries its installation's id, and a resource with this
 * cluster's tags but another installation's id halts the group instead.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kadende, resourceFiles, scratch } from './support/cli.js';

const box = scratch('installations');
const directory = join(box.root, 'res');
const configFile = join(box.root, 'shared.yaml');
const a = { KADENDE_DATA_DIR: join(box.root, 'a'), KADENDE_CACHE_DIR: join(box.root, 'cache') };
const b = { KADENDE_DATA_DIR: join(box.root, 'b'), KADENDE_CACHE_DIR: join(box.root, 'cache') };
afterAll(() => box.cleanup());

describe('two installations, one cluster id', () => {
  it('never delete each other\'s resources: the second halts, naming the first installation', async () => {
    writeFileSync(configFile, `id: shared\nversion: "1"\nname: shared\ngroups:\n  web:\n    size: 3\n    orphanMinAgeSeconds: 0\n    resourcePlugin: { name: file }\n    resourceProperties: { directory: ${directory} }\n`);
    for (const env of [a, b]) expect((await kadende(['apply', '-f', configFile], env)).code).toBe(0);
    const first = await kadende(['reconcile', 'shared'], a);
    expect(first.code, first.stderr).toBe(0);
    const made = resourceFiles(directory);
    expect(made).toHaveLength(3);
    const installation = made[0]!.tags['kadende.installation'];
    expect(installation).toMatch(/^[0-9a-f-]{36}$/);
    expect(made.every((r) => r.tags['kadende.installation'] === installation)).toBe(true);

    await kadende(['reconcile', 'shared'], b);
    await kadende(['reconcile', 'shared'], a);
    // Before the installation tag, B deleted A's three as orphans and made its own, then A deleted B's: empty.
    const after = resourceFiles(directory);
    expect(after.map((r) => r.file).sort()).toEqual(made.map((r) => r.file).sort());

    const events = JSON.parse((await kadende(['-o', 'json', 'events', 'shared', '--limit', '1000'], b)).stdout) as Array<{ type: string; data: { cause: string } }>;
    const halted = events.find((e) => e.type === 'io.kadende.group.halted');
    expect(halted?.data.cause).toContain(`installation ${installation}`);
    expect(events.some((e) => e.type === 'io.kadende.resource.deleting' || e.type === 'io.kadende.resource.creating')).toBe(false);
  });
});
