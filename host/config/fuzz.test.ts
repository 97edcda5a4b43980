/**
 * Fuzzing the configuration loader (issue 16): random hostile mutations of the
 * fixtures and examples. Property: the loader returns a spec whose every number
 * is finite and within the limits, or throws a ConfigError whose every issue is
 * located in the file; never anything else (a ReferenceError, a RangeError, a
 * hang).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadClusterConfig } from './index.js';
import { DEFAULT_MAX_GROUP_SIZE, MAX_GROUP_DEPTH, MAX_GROUPS, MAX_SECONDS } from './limits.js';

const root = join(import.meta.dirname, '..', '..');
function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? yamlFiles(join(dir, entry.name)) : /\.ya?ml$/.test(entry.name) ? [join(dir, entry.name)] : [],
  );
}
const SEEDS = [...yamlFiles(join(root, 'host/config/fixtures')), ...yamlFiles(join(root, 'examples'))].map((file) => ({
  file,
  lines: readFileSync(file, 'utf8').split('\n'),
}));

const hostileValue = fc.oneof(
  fc.constantFrom('.inf', '-.inf', '.nan', '.NaN', 'null', '~', '', '1e308', '-1e308', '1e-320', '-0', '99999999999999999999', '10001', '1000001', '"150%"', '"1e3%"', '0x7fffffff', '0o777'),
  fc.integer({ min: -1, max: 2 ** 53 }).map(String),
  fc.double().map(String),
  fc.constantFrom('"\\u0000"', '"a\\u001bb"', '"x\\ny"', '"\\t"', '"../../etc/passwd"', '"a/b"', '"%zz"', '\\x7f'),
  fc.integer({ min: 1, max: 5000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1, max: 200 }).map((n) => `${'['.repeat(n)}1${']'.repeat(n)}`),
  fc.integer({ min: 1, max: 200 }).map((n) => `${'{a: '.repeat(n)}1${'}'.repeat(n)}`),
  fc.constantFrom('*a', '*nope', '&a 1', '&a {b: *a}', '&a [*a]', '&a {size: 1, resourcePlugin: {name: aws}}'),
  fc.string({ maxLength: 20 }).map((s) => JSON.stringify(s)),
  fc.string({ maxLength: 20 }),
);

const BOMB = ['a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 7 }, (_, i) => `b${i}: &b${i} [${Array(9).fill(i === 0 ? '*a' : `*b${i - 1}`).join(', ')}]`)];

type Mutation = (lines: string[]) => string[];
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Replace a value.
  { weight: 8, arbitrary: fc.tuple(fc.nat(), hostileValue).map(([at, value]) => (lines: string[]) => {
    const i = at % lines.length;
    const m = /^(\s*(?:- )?[^:#]+:)\s*(.*)$/.exec(lines[i]!);
    return lines.map((line, j) => (j === i ? (m ? `${m[1]} ${value}` : value) : line));
  }) },
  // Delete a line (a key, or part of a block).
  { weight: 2, arbitrary: fc.nat().map((at) => (lines: string[]) => lines.filter((_, j) => j !== at % lines.length)) },
  // Duplicate a line (a duplicate key, or a second list item).
  { weight: 2, arbitrary: fc.nat().map((at) => (lines: string[]) => lines.flatMap((line, j) => (j === at % lines.length ? [line, line] : [line]))) },
  // Put an anchor on one value and an alias to it at another (which may be inside it, or before it).
  { weight: 2, arbitrary: fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => (lines: string[]) =>
    lines.map((line, j) => {
      if (j === a % lines.length) return line.replace(/^(\s*(?:- )?[^:#]+:)(\s*)/, '$1 &a$2');
      if (j === b % lines.length) return line.replace(/^(\s*(?:- )?[^:#]+:).*$/, '$1 *a');
      return line;
    }),
  ) },
  // An alias bomb in front (rarer: each costs yaml ~50 ms to refuse).
  { weight: 1, arbitrary: fc.constant((lines: string[]) => [...BOMB, ...lines]) },
  // Deep block nesting under a line.
  { weight: 2, arbitrary: fc.tuple(fc.nat(), fc.integer({ min: 1, max: 120 })).map(([at, depth]) => (lines: string[]) => {
    const i = at % lines.length;
    const indent = /^\s*/.exec(lines[i]!)![0].length;
    const nest = Array.from({ length: depth }, (_, k) => `${' '.repeat(indent + 2 * (k + 1))}n${k}:`);
    return [...lines.slice(0, i + 1), ...nest, `${' '.repeat(indent + 2 * (depth + 1))}size: 1`, ...lines.slice(i + 1)];
  }) },
);

function checkSpecNumbers(value: unknown, path: string): void {
  if (typeof value === 'number') expect(Number.isFinite(value), `${path} = ${value}`).toBe(true);
  else if (typeof value === 'object' && value !== null) for (const [key, child] of Object.entries(value)) checkSpecNumbers(child, `${path}.${key}`);
}

function checkOutcome(text: string, file: string): void {
  let loaded;
  try {
    loaded = loadClusterConfig(text, file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw new Error(`not a ConfigError: ${String(error)}\n--- input ---\n${text.slice(0, 2000)}`);
    expect(error.code).toBe('KADENDE_ERR_CONFIG_INVALID');
    expect(error.exitCode).toBe(2);
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) {
      expect(issue.file).toBe(file);
      expect(Number.isInteger(issue.line) && issue.line >= 1, JSON.stringify(issue)).toBe(true);
      expect(Number.isInteger(issue.column) && issue.column >= 1, JSON.stringify(issue)).toBe(true);
      expect(typeof issue.message).toBe('string');
    }
    return;
  }
  const { spec } = loaded;
  checkSpecNumbers(spec, 'spec');
  expect(spec.groups.length).toBeGreaterThan(0);
  expect(spec.groups.length).toBeLessThanOrEqual(MAX_GROUPS);
  for (const group of spec.groups) {
    expect(Number.isInteger(group.size) && group.size >= 0 && group.size <= DEFAULT_MAX_GROUP_SIZE).toBe(true);
    expect(group.path.split('/').length).toBeLessThanOrEqual(MAX_GROUP_DEPTH);
    expect(group.plugin.name).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
    for (const field of ['maxUnhealthy', 'maxSurge', 'maxUnavailable'] as const) {
      const amount = group.policy[field];
      if (typeof amount === 'number') expect(Number.isInteger(amount) && amount >= 0 && amount <= DEFAULT_MAX_GROUP_SIZE).toBe(true);
      else expect(Number(/^(\d+)%$/.exec(amount)?.[1])).toBeLessThanOrEqual(100);
    }
    for (const field of ['startupTimeoutSeconds', 'orphanMinAgeSeconds'] as const) {
      const seconds = group.policy[field];
      expect(seconds >= 0 && seconds <= MAX_SECONDS, `${field} = ${seconds}`).toBe(true);
    }
    // What the store will keep: JSON round-trips it unchanged (-0 reads back as 0, which is the same to everyone).
    expect(JSON.stringify(JSON.parse(JSON.stringify(group)))).toBe(JSON.stringify(group));
  }
}

describe('the configuration loader under random hostile mutations', () => {
  it('has seeds to mutate', () => {
    expect(SEEDS.length).toBeGreaterThanOrEqual(4);
    for (const { file, lines } of SEEDS) checkOutcome(lines.join('\n'), file);
  });

  it('returns a bounded, finite spec or a located ConfigError, never anything else', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 3 }), ({ file, lines }, mutations) => {
        const text = mutations.reduce((current, mutate) => mutate(current), lines).join('\n');
        checkOutcome(text, 'fuzz.yaml');
      }),
      { numRuns: 2_000 },
    );
  }, 120_000);
});
