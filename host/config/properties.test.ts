import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkResourceProperties, loadClusterConfig } from './index.js';
import type { LeafGroup } from '../../model/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** The kind of propertiesSchema a cloud plugin ships. */
const awsSchema = {
  type: 'object',
  properties: {
    key: { type: 'string' },
    instanceType: { type: 'string', enum: ['t2.micro', 't2.small'] },
    image: { type: 'string' },
    disks: { type: 'array', items: { type: 'object', properties: { sizeGb: { type: 'integer', minimum: 1 } } } },
    region: { type: 'string', default: 'us-east-1' },
  },
  required: ['key', 'image'],
  additionalProperties: false,
};

const byPlugin = (schemas: Record<string, object>) => (group: LeafGroup) => schemas[group.plugin.name.toLowerCase()];

describe('checkResourceProperties', () => {
  it('accepts the sample against matching schemas and fills defaults into the spec', () => {
    const loaded = loadClusterConfig(readFileSync(fixture('basic-cluster.yaml'), 'utf8'), 'basic-cluster.yaml');
    const issues = checkResourceProperties(loaded, 'basic-cluster.yaml', byPlugin({ aws: awsSchema }));
    expect(issues).toEqual([]);
    expect(loaded.spec.groups[0]!.properties).toEqual({
      key: 'mwas',
      instanceType: 't2.small',
      image: 'debian',
      region: 'us-east-1',
    });
    // Groups whose plugin has no schema here are left alone.
    expect(loaded.spec.groups[1]!.properties).not.toHaveProperty('region');
  });

  it('locates each problem at the offending property, list positions included', () => {
    const text = [
      'version: "1"',
      'name: c',
      'groups:',
      '  - name: web',
      '    size: 1',
      '    resourcePlugin: {name: AWS}',
      '    resourceProperties:',
      '      key: 7',
      '      instanceType: m5.large',
      '      disks:',
      '        - sizeGb: 10',
      '        - sizeGb: 0',
      '      colour: red',
      '  - name: db',
      '    size: 1',
      '    resourcePlugin: {name: aws}',
      '',
    ].join('\n');
    const loaded = loadClusterConfig(text, 'c.yaml');
    const issues = checkResourceProperties(loaded, 'c.yaml', byPlugin({ aws: awsSchema }));
    expect(issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.path}: ${i.message}`)).toEqual([
      'c.yaml:7:5: groups[0].resourceProperties.image: is required',
      'c.yaml:13:7: groups[0].resourceProperties.colour: unknown field "colour"; allowed fields: key, instanceType, image, disks, region',
      'c.yaml:8:12: groups[0].resourceProperties.key: must be string, got 7 (quote it to make it a string)',
      'c.yaml:9:21: groups[0].resourceProperties.instanceType: must be equal to one of the allowed values ("t2.micro", "t2.small"), got "m5.large"',
      'c.yaml:12:19: groups[0].resourceProperties.disks[1].sizeGb: must be >= 1, got 0',
      // No resourceProperties at all: the group itself is pointed at.
      'c.yaml:14:5: groups[1].resourceProperties.key: is required',
      'c.yaml:14:5: groups[1].resourceProperties.image: is required',
    ]);
  });

  it('reports a plugin schema that does not compile at the group\'s resourcePlugin', () => {
    const text = 'version: "1"\nname: c\ngroups:\n  a:\n    size: 1\n    resourcePlugin: {name: p}\n';
    const loaded = loadClusterConfig(text, 'c.yaml');
    const issues = checkResourceProperties(loaded, 'c.yaml', () => ({ type: 'object', properties: { x: { type: 'nope' } } }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 6, column: 21, path: 'groups.a.resourcePlugin' });
    expect(issues[0]!.message).toMatch(/^plugin "p" has an unusable propertiesSchema/);
  });
});
