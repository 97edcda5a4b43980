import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, loadClusterConfig } from './index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const load = (name: string) => loadClusterConfig(readFileSync(fixture(name), 'utf8'), name);
/** SHA-256 of the specification's sample, as it was handed over: the fixture must stay byte for byte the same. */
const SAMPLE_SHA256 = '8b16f5941d56d03d863929155a7d12c1a4e3ab5761187da6730704492163ad60';

describe('basic-cluster.yaml, the sample from the specification', () => {
  it('is kept verbatim in fixtures', () => {
    expect(createHash('sha256').update(readFileSync(fixture('basic-cluster.yaml'))).digest('hex')).toBe(SAMPLE_SHA256);
  });

  it('loads as it is and flattens to its four leaves in file order', () => {
    const { spec } = load('basic-cluster.yaml');
    expect(spec.version).toBe('0.0.1');
    expect(spec.name).toBe('basic_cluster');
    expect(spec.id).toBeUndefined();
    expect(spec.groups.map((g) => [g.path, g.size, g.plugin.name, g.plugin.version])).toEqual([
      ['group1', 2, 'aws', 'latest'],
      ['group2/sub-group1', 2, 'gcd', '0.0.1'],
      ['group2/sub-group2', 3, 'digitalOcean', 'latest'],
      ['customDatacenter', 2, 'my-custom-plugin', '0.0.1'],
    ]);
    expect(spec.groups[3]!.plugin.url).toBe(
      'https://github.com/mwaaas/kadende-provider-file/releases/download/0.0.1/plugin.so',
    );
    expect(spec.groups[0]!.plugin).not.toHaveProperty('url');
    expect(spec.groups[2]!.properties).toEqual({ instanceType: 'standard', memory: 1, sshKey: 'mwas' });
    for (const group of spec.groups) expect(group.policy).toEqual(DEFAULT_POLICY);
  });

  it('locates fields, and a missing one at its nearest parent', () => {
    const loaded = load('basic-cluster.yaml');
    expect(loaded.locate(['groups', 'group1', 'resourceProperties', 'image'])).toEqual({ line: 15, column: 14 });
    expect(loaded.locate(['groups', 'group2', 'sub-group2', 'size'])).toEqual({ line: 27, column: 13 });
    // A block mapping is pointed at by its key.
    expect(loaded.locate(['groups', 'group2'])).toEqual({ line: 16, column: 3 });
    expect(loaded.locate(['groups', 'group2', 'sub-group1', 'nope'])).toEqual({ line: 17, column: 5 });
    expect(loaded.locate(['groups', 'group1', 'size'], 'key')).toEqual({ line: 8, column: 5 });
    expect(loaded.documentPath('group2/sub-group2')).toEqual(['groups', 'group2', 'sub-group2']);
    expect(loaded.documentPath('group2')).toBeUndefined();
  });
});

describe('nesting, list form and defaults', () => {
  it('flattens groups nested three levels deep', () => {
    const { spec } = load('nested.yaml');
    expect(spec.groups.map((g) => g.path)).toEqual(['web/eu/west', 'web/eu/north', 'web/us/east', 'db']);
    const [west, north, east, db] = spec.groups;
    expect(west!.plugin).toEqual({ name: 'aws', version: '^1.2.0' });
    expect(west!.policy).toEqual({ ...DEFAULT_POLICY, maxSurge: '25%', maxUnavailable: 1 });
    expect(north!.plugin.version).toBe('latest');
    expect(north!.properties).toEqual({});
    expect(north!.policy).toEqual(DEFAULT_POLICY);
    expect(east!.policy.startupTimeoutSeconds).toBe(120);
    expect(db!.plugin.url).toBe('file:///var/lib/kadende/plugin-file.tgz');
    expect(db!.plugin.integrity).toMatch(/^sha512-/);
  });

  it('reads the list form, nested lists included, to the same spec as the map form', () => {
    const list = load('nested-list.yaml');
    expect(list.spec).toEqual(load('nested.yaml').spec);
    expect(list.documentPath('web/eu/north')).toEqual(['groups', 0, 'groups', 0, 'groups', 1]);
    expect(list.documentPath('web/us/east')).toEqual(['groups', 0, 'groups', 1, 'groups', 'east']);
    expect(list.locate(['groups', 0, 'groups', 0, 'groups', 1, 'size'])).toEqual({ line: 16, column: 19 });
  });

  it('keeps file order even for integer-like group names', () => {
    const text = `version: "1"\nname: order\ngroups:\n  b: {size: 1, resourcePlugin: {name: p}}\n  "10": {size: 1, resourcePlugin: {name: p}}\n  "2": {size: 1, resourcePlugin: {name: p}}\n`;
    expect(loadClusterConfig(text, 'order.yaml').spec.groups.map((g) => g.path)).toEqual(['b', '10', '2']);
  });

  it('accepts JSON text and keeps an explicit id', () => {
    const json = JSON.stringify(
      { id: 'prod-1', version: '2', name: 'json', groups: { a: { size: 0, resourcePlugin: { name: 'p', version: '1.0.0' } } } },
      null,
      '\t',
    );
    const { spec } = loadClusterConfig(json, 'cluster.json');
    expect(spec).toEqual({
      id: 'prod-1',
      version: '2',
      name: 'json',
      groups: [{ path: 'a', size: 0, plugin: { name: 'p', version: '1.0.0' }, properties: {}, policy: DEFAULT_POLICY }],
    });
  });

  it('returns a policy object of its own per group', () => {
    const { spec } = load('basic-cluster.yaml');
    expect(spec.groups[0]!.policy).not.toBe(DEFAULT_POLICY);
    expect(spec.groups[0]!.policy).not.toBe(spec.groups[1]!.policy);
  });
});
