/**
 * Runs one fake cloud until interrupted, for trying the CLI or the daemon by hand:
 *
 *   npx tsx test/fake-clouds/serve.ts aws --create-duration 300 --max-concurrent-creates 20
 *
 * Prints the environment the plugin needs (credentials the fake accepts and the endpoint).
 */
import { parseArgs } from 'node:util';
import { startFakeEc2 } from './aws.js';
import { startFakeGce } from './gcp.js';
import { startFakeDigitalOcean } from './digitalocean.js';
import { digitalOceanEnv, ec2Env, FAKE_CREDENTIALS, gceEnv } from './env.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    'create-duration': { type: 'string', default: '0' },
    'max-concurrent-creates': { type: 'string' },
    pending: { type: 'string', default: '1000' },
  },
});
const options = {
  createDurationMs: Number(values['create-duration']),
  maxConcurrentCreates: values['max-concurrent-creates'] === undefined ? undefined : Number(values['max-concurrent-creates']),
  pendingMs: Number(values.pending),
};

const cloud = positionals[0];
let started: { close(): Promise<void>; env: Record<string, string> };
if (cloud === 'aws') {
  const ec2 = await startFakeEc2({ ...options, ...FAKE_CREDENTIALS.ec2 });
  started = { close: ec2.close, env: ec2Env(ec2) };
} else if (cloud === 'gcp') {
  const gce = await startFakeGce({ ...options, ...FAKE_CREDENTIALS.gce });
  started = { close: gce.close, env: gceEnv(gce) };
} else if (cloud === 'digitalocean') {
  const api = await startFakeDigitalOcean({ ...options, ...FAKE_CREDENTIALS.digitalOcean });
  started = { close: api.close, env: digitalOceanEnv(api) };
} else {
  console.error('usage: serve.ts aws|gcp|digitalocean [--create-duration ms] [--max-concurrent-creates n] [--pending ms]');
  process.exit(2);
}
console.log(Object.entries(started.env).map(([name, value]) => `${name}=${value}`).join(' '));
process.on('SIGINT', () => void started.close().then(() => process.exit(0)));
process.on('SIGTERM', () => void started.close().then(() => process.exit(0)));
