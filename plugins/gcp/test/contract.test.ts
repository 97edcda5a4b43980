import { afterAll, beforeAll } from 'vitest';
import { describeContract } from '@kadende/plugin-sdk/testkit';
import { startFakeGce, type FakeGce } from '../../../test/fake-clouds/gcp.js';
import plugin from '../src/index.js';

let gce: FakeGce;
const env: Record<string, string | undefined> = { GOOGLE_OAUTH_ACCESS_TOKEN: 'contract-token', GOOGLE_CLOUD_PROJECT: 'kadende-test' };
beforeAll(async () => {
  gce = await startFakeGce({ pendingMs: 20, accessToken: 'contract-token' });
  env.KADENDE_GCP_ENDPOINT = gce.url;
});
afterAll(() => gce.close());

describeContract({
  name: 'gcp',
  plugin,
  env,
  // The sample's gcd group as written.
  properties: () => ({ key: 'mwas', instanceType: 't2.micro', image: 'amazonlinux' }),
  missingId: 'us-central1-a/kd-never-made',
});
