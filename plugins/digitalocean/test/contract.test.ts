import { afterAll, beforeAll } from 'vitest';
import { describeContract } from '@kadende/plugin-sdk/testkit';
import { startFakeDigitalOcean, type FakeDigitalOcean } from '../../../test/fake-clouds/digitalocean.js';
import plugin from '../src/index.js';

// axios honours HTTP(S)_PROXY even for 127.0.0.1.
process.env.NO_PROXY = '127.0.0.1,localhost';
process.env.no_proxy = '127.0.0.1,localhost';

let api: FakeDigitalOcean;
const env: Record<string, string | undefined> = { DIGITALOCEAN_TOKEN: 'contract-token' };
beforeAll(async () => {
  api = await startFakeDigitalOcean({ pendingMs: 20, token: 'contract-token' });
  env.KADENDE_DIGITALOCEAN_ENDPOINT = `${api.url}/v2`;
});
afterAll(() => api.close());

describeContract({
  name: 'digitalocean',
  plugin,
  env,
  // The sample's digitalOcean group as written.
  properties: () => ({ instanceType: 'standard', memory: 1, sshKey: 'mwas' }),
  missingId: '999999999',
});
