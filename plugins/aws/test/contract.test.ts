import { afterAll, beforeAll } from 'vitest';
import { describeContract } from '@kadende/plugin-sdk/testkit';
import { startFakeEc2, type FakeEc2 } from '../../../test/fake-clouds/aws.js';
import plugin from '../src/index.js';

let ec2: FakeEc2;
const env: Record<string, string | undefined> = {
  AWS_ACCESS_KEY_ID: 'AKIDCONTRACT',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_REGION: 'us-east-1',
};
beforeAll(async () => {
  ec2 = await startFakeEc2({ pendingMs: 20, accessKeyId: 'AKIDCONTRACT' });
  env.KADENDE_AWS_ENDPOINT = ec2.url;
});
afterAll(() => ec2.close());

describeContract({
  name: 'aws',
  plugin,
  env,
  // The sample's properties as written.
  properties: () => ({ key: 'mwas', instanceType: 't2.small', image: 'debian' }),
  missingId: 'i-0123456789abcdef0',
});
