/**
 * EC2 clients built only from the env the manifest declares (context.env):
 * static credentials, so the SDK never searches ~/.aws, instance metadata or
 * the worker's process.env. One client per (region, endpoint, key) is kept so
 * connections are reused across calls in the same worker.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import type { PluginContext } from '@kadende/plugin-sdk';
import { AwsPluginError } from './errors.js';
import type { AwsProperties } from './properties.js';

const clients = new Map<string, EC2Client>();

export function ec2For(properties: AwsProperties, context: PluginContext): { client: EC2Client; region: string } {
  const env = context.env;
  const region = properties.region ?? env.AWS_REGION;
  if (!region) {
    throw new AwsPluginError('AWS_ERR_CONFIG', 'No AWS region: set resourceProperties.region or the AWS_REGION environment variable');
  }
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new AwsPluginError('AWS_ERR_AUTH', 'No AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)');
  }
  const endpoint = env.KADENDE_AWS_ENDPOINT || undefined;
  const sessionToken = env.AWS_SESSION_TOKEN || undefined;
  const cacheKey = JSON.stringify([region, endpoint, accessKeyId, secretAccessKey, sessionToken]);
  let client = clients.get(cacheKey);
  if (!client) {
    client = new EC2Client({
      region,
      endpoint,
      credentials: { accessKeyId, secretAccessKey, sessionToken },
      // Retries are ours (retry.ts): they stop at the call's deadline.
      maxAttempts: 1,
    });
    clients.set(cacheKey, client);
  }
  return { client, region };
}
