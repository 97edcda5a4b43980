import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createAjv } from '@kadende/plugin-sdk';
import { ClusterDocumentSchema, DEFAULT_PLUGIN_VERSION, PLUGIN_VERSION_FORMAT } from './index.js';

/** The composed schema (what editors get) must agree with what the loader accepts. */
describe('ClusterDocumentSchema', () => {
  const ajv = createAjv();
  ajv.addFormat(PLUGIN_VERSION_FORMAT, (v: string) => v === DEFAULT_PLUGIN_VERSION || semver.validRange(v) !== null);
  const validate = ajv.compile(ClusterDocumentSchema);
  const read = (name: string) =>
    parse(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8')) as unknown;

  it.each(['basic-cluster.yaml', 'nested.yaml', 'nested-list.yaml'])('accepts %s', (name) => {
    expect(validate(read(name)), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each(['three-problems.yaml'])('rejects %s', (name) => {
    expect(validate(read(name))).toBe(false);
  });

  it('rejects an empty branch and a leaf field on a branch', () => {
    const base = { version: '1', name: 'c' };
    expect(validate({ ...base, groups: { a: {} } })).toBe(false);
    expect(validate({ ...base, groups: { a: { maxSurge: 1 } } })).toBe(false);
    expect(validate({ ...base, groups: { a: { b: { size: 1, resourcePlugin: { name: 'p' } } } } })).toBe(true);
  });
});
