/**
 * The aws plugin: each resource is an EC2 instance. describe finds instances by
 * Kadende's tags (EC2 tag: filters), create runs one instance with the create
 * token as EC2's ClientToken (so a retried create never makes a second one),
 * delete terminates (an instance already gone is success).
 */
import { definePlugin } from '@kadende/plugin-sdk';
import { ec2For } from './client.js';
import { describeInstances, runInstance, terminateInstance } from './instances.js';
import type { AwsProperties } from './properties.js';

export default definePlugin({
  async describe({ tags, properties }, context) {
    const { client } = ec2For(properties as unknown as AwsProperties, context);
    return { resources: await describeInstances(client, tags, context) };
  },

  async create({ properties, tags, token }, context) {
    const props = properties as unknown as AwsProperties;
    const { client, region } = ec2For(props, context);
    return runInstance(client, region, props, tags, token, context);
  },

  async delete({ id, properties }, context) {
    const { client } = ec2For(properties as unknown as AwsProperties, context);
    await terminateInstance(client, id, context);
    return {};
  },
});
