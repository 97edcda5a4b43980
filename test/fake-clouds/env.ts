/**
 * The credentials each fake cloud is started with and the environment a
 * plugin (or the kadende CLI running it) needs to reach it: one place for
 * serve.ts, the end-to-end test and the convergence benchmark. The fakes
 * require these credentials, so a plugin that does not pass them on fails.
 */
import type { FakeCloudBase } from './common.js';

export const FAKE_CREDENTIALS = {
  ec2: { accessKeyId: 'AKIDFAKE' },
  gce: { accessToken: 'fake-gce-token' },
  digitalOcean: { token: 'fake-do-token' },
} as const;

export const FAKE_GCP_PROJECT = 'kadende-fake';

export function ec2Env(cloud: FakeCloudBase): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.ec2.accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'fake-secret',
    AWS_REGION: 'us-east-1',
    KADENDE_AWS_ENDPOINT: cloud.url,
  };
}

export function gceEnv(cloud: FakeCloudBase): Record<string, string> {
  return { GOOGLE_CLOUD_PROJECT: FAKE_GCP_PROJECT, GOOGLE_OAUTH_ACCESS_TOKEN: FAKE_CREDENTIALS.gce.accessToken, KADENDE_GCP_ENDPOINT: cloud.url };
}

export function digitalOceanEnv(cloud: FakeCloudBase): Record<string, string> {
  return {
    DIGITALOCEAN_TOKEN: FAKE_CREDENTIALS.digitalOcean.token,
    KADENDE_DIGITALOCEAN_ENDPOINT: `${cloud.url}/v2`,
    // axios honours HTTP(S)_PROXY even for 127.0.0.1.
    NO_PROXY: '127.0.0.1,localhost',
  };
}

/**
 * Sets these variables in this process's environment (the host hands each
 * plugin worker the manifest's env names from it); the answer puts the
 * environment back as it was, removing what was added.
 */
export function setProcessEnv(vars: Record<string, string>): () => void {
  const saved = { ...process.env };
  Object.assign(process.env, vars);
  return () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  };
}
