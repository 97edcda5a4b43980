/**
 * The README's front door: `npm run example` (its build is npm test's) applies the example cluster,
 * converges it, repairs a deleted resource and shows the events, with nothing but the file plugin
 * and the embedded store. Run in folders of its own, so an operator's own run of it is untouched.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'kadende-example-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('npm run example converges the example, replaces the resource it deletes, and shows what happened', async () => {
  const example = join(work, 'example');
  const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'scripts/run-example.mjs')], {
    cwd: root,
    env: { ...process.env, KADENDE_DATA_DIR: join(work, 'data'), KADENDE_EXAMPLE_DIR: example },
  });
  const files = (group: string) => readdirSync(join(example, '.kadende/example-resources', group)).filter((name) => name.endsWith('.json'));
  // Sizes 3, 2 and 1, the deleted web resource replaced.
  expect([files('web').length, files('workers/queue').length, files('workers/batch').length]).toEqual([3, 2, 1]);
  expect(stdout).toContain("# Someone deletes a machine behind Kadende's back");
  expect(stdout).toMatch(/web: forget: (\S+) no longer exists at the provider: it will be replaced\n  web: create: 2 of 3 resources exist/);
  // The deleted one is found lost and replaced, in the events shown.
  expect(stdout).toMatch(/resource\.lost +web\/\S+ +\S+ no longer exists at the provider: it will be replaced/);
  expect(stdout).toMatch(/resource\.created +web\//);
  expect(stdout).toContain(`the store is in ${join(work, 'data')}`);
}, 120_000);
