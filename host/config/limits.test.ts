/**
 * Hostile configurations (issue 16): every one must be refused as a located
 * KADENDE_ERR_CONFIG_INVALID, never a ReferenceError/RangeError (which the CLI
 * and the API report as KADENDE_ERR_UNEXPECTED) and never a spec with a number
 * the planner or the store cannot handle.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadClusterConfig } from './index.js';
import { DEFAULT_MAX_GROUP_SIZE, MAX_GROUP_SIZE_ENV, MAX_SECONDS, MAX_YAML_DEPTH } from './limits.js';

const HEAD = 'version: "1"\nname: c\n';
const leaf = (fields: string) => `${HEAD}groups:\n  g:\n    size: 1\n    resourcePlugin: {name: aws}\n${fields}`;

function refusal(text: string): ConfigError {
  try {
    loadClusterConfig(text, 'c.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const config = error as ConfigError;
    expect(config.code).toBe('KADENDE_ERR_CONFIG_INVALID');
    expect(config.exitCode).toBe(2);
    expect(config.issues.length).toBeGreaterThan(0);
    for (const issue of config.issues) {
      expect(issue.file).toBe('c.yaml');
      expect(issue.line).toBeGreaterThanOrEqual(1);
      expect(issue.column).toBeGreaterThanOrEqual(1);
    }
    return config;
  }
  throw new Error('the configuration was accepted');
}

const first = (text: string) => {
  const { issues } = refusal(text);
  return `${issues[0]!.line}:${issues[0]!.column} ${issues[0]!.path}: ${issues[0]!.message}`;
};

describe('YAML aliases', () => {
  it('refuses an alias bomb where its first alias is, through maxAliasCount', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) levels.push(`l${i}: &l${i} [${Array(9).fill(i === 1 ? '*a' : `*l${i - 1}`).join(', ')}]`);
    const text = `${levels.join('\n')}\n${HEAD}groups: {g: {size: 1, resourcePlugin: {name: aws}}}\n`;
    expect(first(text)).toMatch(/^2:\d+ : aliases expand to too much/);
  });

  it('refuses an alias that names no anchor, at the alias', () => {
    expect(first(`${HEAD}groups: *nope\n`)).toBe('3:9 : alias *nope names no anchor: &nope must be set before it');
  });

  it('refuses an alias inside the node it names (a cycle), at the alias', () => {
    expect(first(`${HEAD}groups: &g\n  a: *g\n`)).toBe('4:6 : alias *g is inside the node it names (&g): a cycle');
    expect(first(leaf('    resourceProperties: &p {a: [*p]}\n'))).toMatch(/^7:\d+ : alias \*p is inside the node it names/);
  });

  it('still loads ordinary aliases (shared properties)', () => {
    const text = `${HEAD}groups:\n  a: {size: 1, resourcePlugin: {name: aws}, resourceProperties: &p {zone: z1}}\n  b: {size: 2, resourcePlugin: {name: aws}, resourceProperties: *p}\n`;
    expect(loadClusterConfig(text, 'c.yaml').spec.groups.map((g) => g.properties)).toEqual([{ zone: 'z1' }, { zone: 'z1' }]);
  });
});

describe('nesting', () => {
  it('refuses deep flow nesting before anything recurses, quickly', () => {
    const started = Date.now();
    expect(first(`${HEAD}groups: ${'['.repeat(300_000)}`)).toMatch(/nested more than 64 levels deep/);
    expect(first(`${HEAD}groups: ${'{a: '.repeat(5_000)}1${'}'.repeat(5_000)}\n`)).toMatch(/^3:\d+ : nested more than 64/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses deep block nesting', () => {
    const lines = Array.from({ length: 3_000 }, (_, i) => `${' '.repeat(i + 2)}a${i}:`);
    expect(first(`${HEAD}groups:\n${lines.join('\n')}\n`)).toMatch(/nested more than 64 levels deep/);
    expect(first(`${'- '.repeat(100_000)}x\n`)).toMatch(/nested more than 64 levels deep/);
  });

  it('refuses groups nested deeper than 16, but loads 16', () => {
    const nest = (depth: number) =>
      `${HEAD}groups:\n${Array.from({ length: depth }, (_, i) => `${'  '.repeat(i + 1)}s${i}:`).join('\n')}\n${'  '.repeat(depth + 1)}size: 1\n${'  '.repeat(depth + 1)}resourcePlugin: {name: aws}\n`;
    expect(loadClusterConfig(nest(16), 'c.yaml').spec.groups[0]!.path.split('/')).toHaveLength(16);
    expect(first(nest(17))).toMatch(/groups are nested more than 16 levels deep/);
    expect(MAX_YAML_DEPTH).toBeGreaterThan(16 + 2);
  });
});

describe('numbers', () => {
  afterEach(() => {
    delete process.env[MAX_GROUP_SIZE_ENV];
  });

  it.each([
    ['.inf', 'size: .inf', /size: must be a finite number, got Infinity/],
    ['-.inf', 'size: -.inf', /size: must be a finite number, got -Infinity/],
    ['.nan', 'size: .nan', /size: must be a finite number, got NaN/],
    ['null', 'size: null', /size: must be an integer >= 0, got an empty value/],
    ['1e300', 'size: 1e300', /size: must be an integer from 0 to 10000/],
    ['10001', 'size: 10001', /size: must be an integer from 0 to 10000/],
  ])('refuses a size of %s', (_name, field, message) => {
    expect(first(`${HEAD}groups:\n  g:\n    ${field}\n    resourcePlugin: {name: aws}\n`)).toMatch(message);
  });

  it('takes the size limit from KADENDE_MAX_GROUP_SIZE, and refuses a bad value of it', () => {
    expect(DEFAULT_MAX_GROUP_SIZE).toBe(10_000);
    const text = `${HEAD}groups:\n  g:\n    size: 20000\n    resourcePlugin: {name: aws}\n`;
    process.env[MAX_GROUP_SIZE_ENV] = '50000';
    expect(loadClusterConfig(text, 'c.yaml').spec.groups[0]!.size).toBe(20_000);
    process.env[MAX_GROUP_SIZE_ENV] = '100';
    expect(first(text)).toMatch(/must be an integer from 0 to 100 \(the limit/);
    for (const bad of ['0', 'lots', '1e3', '99999999']) {
      process.env[MAX_GROUP_SIZE_ENV] = bad;
      expect(() => loadClusterConfig(text, 'c.yaml')).toThrow(expect.objectContaining({ code: 'KADENDE_ERR_ENV_INVALID', exitCode: 2 }));
    }
  });

  it.each([
    ['maxSurge', '.inf'],
    ['maxSurge', '1e300'],
    ['maxUnavailable', '10001'],
    ['maxUnhealthy', '"150%"'],
    ['maxUnhealthy', '.nan'],
    ['maxUnhealthy', 'null'],
    ['startupTimeoutSeconds', '.inf'],
    ['startupTimeoutSeconds', '.nan'],
    ['orphanMinAgeSeconds', String(MAX_SECONDS + 1)],
    ['orphanMinAgeSeconds', '.inf'],
  ])('refuses %s: %s (a policy the planner cannot read)', (field, value) => {
    const { issues } = refusal(leaf(`    ${field}: ${value}\n`));
    expect(issues.map((issue) => issue.path)).toEqual([`groups.g.${field}`]);
  });

  it('refuses a non-finite number anywhere, resourceProperties too (JSON would store it as null)', () => {
    expect(first(leaf('    resourceProperties: {memory: .inf, disks: [1, .nan]}\n'))).toMatch(
      /^7:\d+ groups\.g\.resourceProperties\.(memory|disks\[1\]): must be a finite number/,
    );
  });

  it('keeps values at the limits', () => {
    const { spec } = loadClusterConfig(
      leaf(`    maxUnhealthy: "100%"\n    maxSurge: 10000\n    startupTimeoutSeconds: ${MAX_SECONDS}\n    orphanMinAgeSeconds: 0.5\n`),
      'c.yaml',
    );
    expect(spec.groups[0]!.policy).toMatchObject({ maxUnhealthy: '100%', maxSurge: 10_000, startupTimeoutSeconds: MAX_SECONDS, orphanMinAgeSeconds: 0.5 });
  });
});

describe('strings', () => {
  it.each([
    ['a NUL in a plugin name', 'resourcePlugin: {name: "aws\\u0000x"}', 'groups.g.resourcePlugin.name'],
    ['a newline in a plugin name', 'resourcePlugin: {name: "aws\\nx"}', 'groups.g.resourcePlugin.name'],
    ['a path in a plugin name', 'resourcePlugin: {name: "../../etc"}', 'groups.g.resourcePlugin.name'],
    ['a very long plugin name', `resourcePlugin: {name: ${'a'.repeat(300)}}`, 'groups.g.resourcePlugin.name'],
    ['a very long plugin version', `resourcePlugin: {name: aws, version: "${'1'.repeat(300)}"}`, 'groups.g.resourcePlugin.version'],
  ])('refuses %s', (_name, field, path) => {
    const { issues } = refusal(`${HEAD}groups:\n  g:\n    size: 1\n    ${field}\n`);
    expect(issues.map((issue) => issue.path)).toEqual([path]);
  });

  it('refuses control characters in a group name and the cluster version, and a huge description', () => {
    expect(refusal(`${HEAD}groups:\n  "g\\u0007": {size: 1, resourcePlugin: {name: aws}}\n`).issues[0]!.message).toMatch(/not a valid group name/);
    expect(refusal(`version: "1\\u001b[2J"\nname: c\ngroups: {g: {size: 1, resourcePlugin: {name: aws}}}\n`).issues[0]!.path).toBe('version');
    expect(refusal(`${HEAD}description: ${'x'.repeat(5_000)}\ngroups: {g: {size: 1, resourcePlugin: {name: aws}}}\n`).issues[0]!.path).toBe('description');
  });
});

describe('counts', () => {
  it('refuses more than 1000 groups in a cluster, once', () => {
    const groups = Array.from({ length: 1_005 }, (_, i) => `  g${i}: {size: 1, resourcePlugin: {name: aws}}`).join('\n');
    const { issues } = refusal(`${HEAD}groups:\n${groups}\n`);
    expect(issues.map((issue) => [issue.path, issue.message])).toEqual([['groups.g1000', 'is one group too many: a cluster has at most 1000 groups']]);
  });
});
