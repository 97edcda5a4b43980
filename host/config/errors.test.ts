import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadClusterConfig } from './index.js';
import type { ConfigIssue } from '../../model/index.js';

/** Loads text expected to be invalid; returns the ConfigError. */
function failing(text: string, file = 'cluster.yaml'): ConfigError {
  try {
    loadClusterConfig(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

/** `line:column path: message-fragment` for compact expectations. */
const brief = (issue: ConfigIssue) => `${issue.line}:${issue.column} ${issue.path}`;

/** A valid leaf in flow style, to build small documents around one mistake. */
const HEAD = 'version: "1"\nname: c\ngroups:\n';

describe('ConfigError', () => {
  it('lists each issue as file:line:column: path: message and carries the code', () => {
    const error = failing(`${HEAD}  group1:\n    resourcePlugin: {name: aws}\n    size: two\n`);
    expect(error.code).toBe('KADENDE_ERR_CONFIG_INVALID');
    expect(error.name).toBe('ConfigError');
    expect(error.message).toBe('cluster.yaml:6:11: groups.group1.size: must be an integer >= 0, got "two"');
    expect(error.issues).toEqual([
      { file: 'cluster.yaml', line: 6, column: 11, path: 'groups.group1.size', message: 'must be an integer >= 0, got "two"' },
    ]);
  });

  it('reports several problems of one file together, in file order', () => {
    const file = fileURLToPath(new URL('./fixtures/three-problems.yaml', import.meta.url));
    const error = failing(readFileSync(file, 'utf8'), 'three-problems.yaml');
    expect(error.issues.map(brief)).toEqual([
      '5:11 groups.group1.size',
      '6:5 groups.group1.resourcePlugin.name',
      '15:7 groups.group2.sub-group1.instanceType',
    ]);
    expect(error.issues[1]!.message).toBe('is required: a plugin name, e.g. aws');
    expect(error.issues[2]!.message).toMatch(/^unknown field "instanceType"; allowed fields: size, resourcePlugin, resourceProperties, maxUnhealthy/);
    expect(error.message.split('\n')).toEqual([
      '3 problems in three-problems.yaml:',
      '  three-problems.yaml:5:11: groups.group1.size: must be an integer >= 0, got "two"',
      '  three-problems.yaml:6:5: groups.group1.resourcePlugin.name: is required: a plugin name, e.g. aws',
      expect.stringMatching(/^ {2}three-problems\.yaml:15:7: groups\.group2\.sub-group1\.instanceType: unknown field/),
    ]);
  });
});

describe('each kind of bad input is located', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['YAML syntax', 'version: "1"\nname: c\ngroups: [1,\nx: 2\n', '4:1 ', /^YAML syntax error: Flow sequence/],
    ['duplicate key', `${HEAD}  a: {size: 1, resourcePlugin: {name: p}}\n  a: {size: 1, resourcePlugin: {name: p}}\n`, '5:3 ', /Map keys must be unique/],
    ['empty file', '', '1:1 ', /must be a mapping with version, name and groups, got an empty value/],
    ['a list at the top', '- 1\n', '1:1 ', /got a list of 1/],
    ['missing version', 'name: c\ngroups: {a: {size: 1, resourcePlugin: {name: p}}}\n', '1:1 version', /is required: a version string/],
    ['numeric version', 'version: 1.0\nname: c\ngroups: {a: {size: 1, resourcePlugin: {name: p}}}\n', '1:10 version', /got 1 \(quote it/],
    ['bad cluster name', 'version: "1"\nname: my cluster\ngroups: {a: {size: 1, resourcePlugin: {name: p}}}\n', '2:7 name', /got "my cluster"/],
    ['bad id', 'id: Prod\nversion: "1"\nname: c\ngroups: {a: {size: 1, resourcePlugin: {name: p}}}\n', '1:5 id', /lowercase/],
    ['unknown top-level field', 'version: "1"\nname: c\ngroup: {}\ngroups: {a: {size: 1, resourcePlugin: {name: p}}}\n', '3:1 group', /unknown field "group" \(did you mean "groups"\?\)/],
    ['missing groups', 'version: "1"\nname: c\n', '1:1 groups', /is required: a mapping of named groups or a list/],
    ['groups is a string', 'version: "1"\nname: c\ngroups: many\n', '3:9 groups', /got "many"/],
    ['no groups', 'version: "1"\nname: c\ngroups: {}\n', '3:9 groups', /at least one group/],
    ['empty branch', `${HEAD}  a: {}\n`, '4:6 groups.a', /empty group/],
    ['branch value not an object', `${HEAD}  a:\n    b: 3\n`, '5:8 groups.a.b', /must be a group: .*got 3/],
    ['policy field on a branch', `${HEAD}  a:\n    maxSurge: 1\n`, '5:15 groups.a.maxSurge', /is a leaf field/],
    ['bad group name', `${HEAD}  "a b": {size: 1, resourcePlugin: {name: p}}\n`, '4:3 groups.a b', /not a valid group name/],
    ['negative size', `${HEAD}  a: {size: -1, resourcePlugin: {name: p}}\n`, '4:13 groups.a.size', /must be an integer >= 0, got -1/],
    ['fractional size', `${HEAD}  a: {size: 1.5, resourcePlugin: {name: p}}\n`, '4:13 groups.a.size', /got 1\.5/],
    ['missing size', `${HEAD}  a:\n    resourcePlugin: {name: p}\n`, '4:3 groups.a.size', /is required: an integer >= 0/],
    ['missing resourcePlugin', `${HEAD}  a:\n    size: 1\n`, '4:3 groups.a.resourcePlugin', /is required/],
    ['resourcePlugin is a string', `${HEAD}  a:\n    size: 1\n    resourcePlugin: aws\n`, '6:21 groups.a.resourcePlugin', /must be a mapping with name.*got "aws"/],
    ['bad plugin version', `${HEAD}  a:\n    size: 1\n    resourcePlugin: {name: p, version: newest}\n`, '6:40 groups.a.resourcePlugin.version', /"latest", an exact version.*got "newest"/],
    ['bad plugin url', `${HEAD}  a:\n    size: 1\n    resourcePlugin: {name: p, url: "ftp://x/p.tgz"}\n`, '6:36 groups.a.resourcePlugin.url', /http, https or file URL/],
    ['bad integrity', `${HEAD}  a:\n    size: 1\n    resourcePlugin: {name: p, integrity: sha1-abc}\n`, '6:42 groups.a.resourcePlugin.integrity', /sha512-/],
    ['unknown plugin field', `${HEAD}  a:\n    size: 1\n    resourcePlugin: {name: p, verison: "1"}\n`, '6:31 groups.a.resourcePlugin.verison', /did you mean "version"/],
    ['resourceProperties not a mapping', `${HEAD}  a:\n    size: 1\n    resourcePlugin: {name: p}\n    resourceProperties: [1]\n`, '7:25 groups.a.resourceProperties', /mapping of the plugin's properties, got a list/],
    ['bad maxSurge', `${HEAD}  a:\n    size: 1\n    resourcePlugin: {name: p}\n    maxSurge: 25\n    maxUnhealthy: "x%"\n`, '8:19 groups.a.maxUnhealthy', /integer >= 0 or a percentage such as "25%", got "x%"/],
    ['negative timeout', `${HEAD}  a:\n    size: 1\n    resourcePlugin: {name: p}\n    startupTimeoutSeconds: -5\n`, '7:28 groups.a.startupTimeoutSeconds', /seconds >= 0, got -5/],
    ['list item without a name', `${HEAD}  - size: 1\n    resourcePlugin: {name: p}\n`, '4:5 groups[0].name', /is required: a group name/],
    ['list item not an object', `${HEAD}  - web\n`, '4:5 groups[0]', /group with a name, got "web"/],
    ['list branch with no groups', `${HEAD}  - name: web\n`, '4:5 groups[0]', /empty group/],
    ['list branch with an empty list', `${HEAD}  - name: web\n    groups: []\n`, '5:13 groups[0].groups', /at least one group/],
    ['list group name with a slash', `${HEAD}  - name: a/b\n    size: 1\n    resourcePlugin: {name: p}\n`, '4:11 groups[0].name', /group name.*got "a\/b"/],
    ['unknown field in a list leaf', `${HEAD}  - name: a\n    size: 1\n    resourcePlugin: {name: p}\n    color: red\n`, '7:5 groups[0].color', /unknown field "color"; allowed fields: name, size/],
  ];

  it.each(cases)('%s', (_, text, where, message) => {
    const error = failing(text);
    expect(error.issues).toHaveLength(1);
    expect(brief(error.issues[0]!)).toBe(where);
    expect(error.issues[0]!.message).toMatch(message);
  });

  it('reports duplicate names in list form at the second one, pointing back to the first', () => {
    const text = `${HEAD}  - name: web\n    size: 1\n    resourcePlugin: {name: p}\n  - name: db\n    size: 1\n    resourcePlugin: {name: p}\n  - name: web\n    groups:\n      - name: x\n        size: 1\n        resourcePlugin: {name: p}\n`;
    const error = failing(text);
    expect(error.issues.map(brief)).toEqual(['10:11 groups[2].name']);
    expect(error.issues[0]!.message).toMatch(/duplicate group name "web" \(first used at groups\[0\], line 4\)/);
  });

  it('reports problems in nested lists and maps together', () => {
    const text = `${HEAD}  - name: web\n    groups:\n      - name: eu\n        groups:\n          west: {size: x, resourcePlugin: {name: p}}\n      - name: us\n        size: 1\n`;
    const error = failing(text);
    expect(error.issues.map(brief)).toEqual([
      '8:24 groups[0].groups[0].groups.west.size',
      '9:9 groups[0].groups[1].resourcePlugin',
    ]);
  });
});
