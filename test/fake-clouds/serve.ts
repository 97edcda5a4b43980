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
let close: () => Promise<void>;
if (cloud === 'aws') {
  const ec2 = await startFakeEc2(options);
  close = ec2.close;
  console.log(`AWS_ACCESS_KEY_ID=AKIDFAKE AWS_SECRET_ACCESS_KEY=fake AWS_REGION=us-east-1 KADENDE_AWS_ENDPOINT=${ec2.url}`);
} else if (cloud === 'gcp') {
  const gce = await startFakeGce(options);
  close = gce.close;
  console.log(`GOOGLE_CLOUD_PROJECT=kadende-fake KADENDE_GCP_ENDPOINT=${gce.url}`);
} else if (cloud === 'digitalocean') {
  const api = await startFakeDigitalOcean(options);
  close = api.close;
  console.log(`DIGITALOCEAN_TOKEN=fake KADENDE_DIGITALOCEAN_ENDPOINT=${api.url}/v2 NO_PROXY=127.0.0.1,localhost`);
} else {
  console.error('usage: serve.ts aws|gcp|digitalocean [--create-duration ms] [--max-concurrent-creates n] [--pending ms]');
  process.exit(2);
}
process.on('SIGINT', () => void close().then(() => process.exit(0)));
process.on('SIGTERM', () => void close().then(() => process.exit(0)));
