/**
 * The plugins as the host runs them: bundled into one file by the build's own
 * bundler (scripts/plugin-bundle.mjs), loaded by the SDK's worker runtime in a
 * piscina pool whose workers see only the manifest's env and get its heap
 * limit, then driven against the fake clouds. Catches what source-level tests
 * cannot: a dependency that does not survive bundling, a plugin reading an
 * undeclared variable, a bundle too big for its memory limit.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomUUID } from 'node:crypto';
import { Piscina } from 'piscina';
import { afterAll, describe, expect, it } from 'vitest';
import type { WorkerAnswer } from '@kadende/plugin-sdk';
import { bundlePlugin } from '../../scripts/plugin-bundle.mjs';
import { startFakeEc2 } from './aws.js';
import { startFakeGce } from './gcp.js';
import { startFakeDigitalOcean } from './digitalocean.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'kadende-bundles-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

async function bundle(name: string): Promise<{ entry: string; manifest: { env: string[]; limits: { memoryMb: number } } }> {
  const manifest = JSON.parse(readFileSync(join(root, 'plugins', name, 'package.json'), 'utf8')).kadende;
  const outfile = join(out, name, 'plugin.js');
  await bundlePlugin(join(root, 'plugins', name, 'src/index.ts'), outfile, { logLevel: 'error' });
  // The SDK's runtime helpers (withRetry, PluginError, escapeTagText) must come without its
  // validator: "sideEffects": false lets esbuild leave out ajv and typebox.
  const text = readFileSync(outfile, 'utf8');
  expect(text).not.toContain('node_modules/ajv/');
  expect(text).not.toContain('node_modules/@sinclair/typebox/');
  return { entry: pathToFileURL(outfile).href, manifest };
}

async function exercise(name: string, env: Record<string, string>, properties: Record<string, unknown>) {
  const { entry, manifest } = await bundle(name);
  // Only the declared names reach the worker, as the host does it.
  const declared = Object.fromEntries(manifest.env.filter((k) => env[k] !== undefined).map((k) => [k, env[k]!]));
  expect(Object.keys(declared).sort()).toEqual(Object.keys(env).filter((k) => !k.startsWith('NO_PROXY')).sort());
  const pool = new Piscina({
    filename: join(root, 'plugin-sdk/dist/worker.js'),
    env: { ...declared, NO_PROXY: '127.0.0.1,localhost' },
    resourceLimits: { maxOldGenerationSizeMb: manifest.limits.memoryMb },
    maxThreads: 1,
  });
  pool.on('error', () => {});
  const call = async (method: string, request: unknown) => {
    const answer = (await pool.run({ entry, method, request, deadline: Date.now() + 20_000 })) as WorkerAnswer;
    if (!answer.ok) throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
    return answer.value as Record<string, unknown>;
  };
  try {
    const token = randomUUID();
    const tags = { 'kadende.cluster': 'bundle', 'kadende.group': 'g/one', 'kadende.resource': token, 'kadende.spec': 's' };
    const created = await call('create', { properties, tags, token });
    expect(created.tags).toMatchObject(tags);
    const { resources } = (await call('describe', { tags: { 'kadende.cluster': 'bundle' }, properties })) as { resources: { id: string }[] };
    expect(resources.map((r) => r.id)).toEqual([created.id]);
    await call('delete', { id: created.id, properties });
  } finally {
    await pool.destroy();
  }
}

describe('bundled plugins in a worker pool with only their declared env', () => {
  it('aws', async () => {
    const cloud = await startFakeEc2({ pendingMs: 10, accessKeyId: 'AKIDBUNDLE' });
    try {
      await exercise('aws', { AWS_ACCESS_KEY_ID: 'AKIDBUNDLE', AWS_SECRET_ACCESS_KEY: 's', AWS_REGION: 'eu-west-1', KADENDE_AWS_ENDPOINT: cloud.url }, { key: 'mwas', instanceType: 't2.small', image: 'debian' });
      expect(cloud.instances.size).toBe(1);
    } finally {
      await cloud.close();
    }
  });

  it('gcp', async () => {
    const cloud = await startFakeGce({ pendingMs: 10, accessToken: 'bundle-token' });
    try {
      await exercise('gcp', { GOOGLE_OAUTH_ACCESS_TOKEN: 'bundle-token', GOOGLE_CLOUD_PROJECT: 'kadende-test', KADENDE_GCP_ENDPOINT: cloud.url }, { key: 'mwas', instanceType: 't2.micro', image: 'amazonlinux' });
      expect(cloud.operations.size).toBe(2);
    } finally {
      await cloud.close();
    }
  });

  it('digitalocean', async () => {
    const cloud = await startFakeDigitalOcean({ pendingMs: 10, token: 'bundle-token' });
    try {
      await exercise('digitalocean', { DIGITALOCEAN_TOKEN: 'bundle-token', KADENDE_DIGITALOCEAN_ENDPOINT: `${cloud.url}/v2` }, { instanceType: 'standard', memory: 1, sshKey: 'mwas' });
      expect(cloud.requests.some((r) => r.action === 'droplets.delete' && r.status === 204)).toBe(true);
    } finally {
      await cloud.close();
    }
  });
});
