/**
 * Two installations (two stores) given one cluster id: `describe cluster` in the second names the
 * first installation under Conflicts, and the JSON status carries it per group. The real CLI on
 * two LevelDB data dirs and one folder of the file plugin.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kadende, resourceFiles, tempDir } from '../support/cli.js';

const box = tempDir('installation-conflict');
const directory = join(box.root, 'res');
const home = (name: string) => ({ KADENDE_DATA_DIR: join(box.root, name), KADENDE_CACHE_DIR: join(box.root, 'cache') });
afterAll(() => box.cleanup());

describe('describe cluster', () => {
  it('shows a conflict of installations that claim one cluster id', async () => {
    const file = join(box.root, 'c.yaml');
    writeFileSync(file, `version: "1"\nname: twin\nid: shared\ngroups:\n  web:\n    size: 2\n    resourcePlugin: { name: file }\n    resourceProperties: { directory: ${JSON.stringify(directory)} }\n`);
    for (const name of ['first', 'second']) expect((await kadende(['apply', '-f', file], home(name))).code).toBe(0);
    const reconciled = await kadende(['reconcile', 'twin', '--wait', '--timeout', '30'], home('first'));
    expect(reconciled.code, reconciled.stderr).toBe(0);
    const first = resourceFiles(directory)[0]!.tags['kadende.installation']!;
    expect(first).toBeTruthy();

    const described = await kadende(['describe', 'cluster', 'twin'], home('second'));
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toContain('Conflicts (two installations claim this cluster id):');
    expect(described.stdout).toContain(`web: also managed by installation ${first}`);
    const json = JSON.parse((await kadende(['-o', 'json', 'describe', 'cluster', 'twin'], home('second'))).stdout);
    expect(json.status.groups[0].status).toMatchObject({ reason: 'halted', foreignInstallations: [first] });
    // The first installation sees no conflict: the resources are its own.
    expect((await kadende(['describe', 'cluster', 'twin'], home('first'))).stdout).not.toContain('Conflicts');
  });
});
