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

/**
 * The SDK warns, once per process, at the first client's construction, that
 * its releases after January 2027 will need Node 22. Kadende supports Node 20
 * and pins the SDK in the bundle, so on every host run that warning would reach
 * the operator's terminal as noise they cannot act on. The SDK reads this
 * variable only from process.env (which, in the host's worker threads, is the
 * worker's own copy: the host's environment is untouched). Set only when
 * unset, so a process that wants the warning keeps it.
 */
function quietNodeVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

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
    quietNodeVersionWarning();
    client = new EC2Client({
      region,
      endpoint,
      credentials: { accessKeyId, secretAccessKey, sessionToken },
      // Retries are ours (withRetry from the SDK): they stop at the call's deadline.
      maxAttempts: 1,
    });
    clients.set(cacheKey, client);
  }
  return { client, region };
}
