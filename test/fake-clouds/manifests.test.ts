/**
 * The cloud plugins' manifests: valid for the host (the SDK's manifest
 * schema), accepting the sample configuration's properties as written, and
 * refusing what the cloud would refuse anyway.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAjv, formatAjvErrors, validateManifest } from '@kadende/plugin-sdk';

const manifestOf = (name: string) => JSON.parse(readFileSync(new URL(`../../plugins/${name}/package.json`, import.meta.url), 'utf8')).kadende;

// From the specification's basic-cluster.yaml: group1 (aws), group2/sub-group1 (gcd), group2/sub-group2 (digitalOcean).
const SAMPLE: Record<string, Record<string, unknown>> = {
  aws: { key: 'mwas', instanceType: 't2.small', image: 'debian' },
  gcp: { key: 'mwas', instanceType: 't2.micro', image: 'amazonlinux' },
  digitalocean: { instanceType: 'standard', memory: 1, sshKey: 'mwas' },
};

const REFUSED: Record<string, Record<string, unknown>[]> = {
  aws: [
    { instanceType: 't2.small' },
    { ...SAMPLE.aws, tags: { 'aws:owner': 'x' } },
    { ...SAMPLE.aws, securityGroupIds: ['default'] },
    { ...SAMPLE.aws, instanceTypo: 'x' },
  ],
  gcp: [
    { ...SAMPLE.gcp, labels: { Team: 'x' } },
    { ...SAMPLE.gcp, zone: 'us-central1' },
    { ...SAMPLE.gcp, instanceType: 'T2.MICRO' },
    { ...SAMPLE.gcp, metadata: { 'kadende-tags': '{}' } },
  ],
  digitalocean: [
    { ...SAMPLE.digitalocean, memory: '1' },
    { ...SAMPLE.digitalocean, instanceType: 'huge' },
    { ...SAMPLE.digitalocean, tags: ['has space'] },
  ],
};

describe.each(['aws', 'gcp', 'digitalocean'])('%s manifest', (name) => {
  const manifest = manifestOf(name);

  it('is a valid contract-1 manifest named as the host resolves it', () => {
    expect(validateManifest(manifest).problems).toEqual([]);
    expect(manifest).toMatchObject({ name, contract: 1, main: 'dist/plugin.js' });
  });

  it('accepts the sample properties as written and refuses what the cloud would', () => {
    const validate = createAjv().compile(manifest.propertiesSchema);
    expect(validate(SAMPLE[name]) ? [] : formatAjvErrors(validate.errors)).toEqual([]);
    for (const bad of REFUSED[name]!) expect(validate(bad), JSON.stringify(bad)).toBe(false);
  });
});
