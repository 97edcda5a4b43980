/**
 * EC2 instances <-> Kadende resources: state mapping, tag filters, and the
 * three calls (describe, run, terminate) with retries inside the deadline.
 */
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Instance,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { withRetry, type PluginContext, type Resource, type ResourceStatus, type Tags } from '@kadende/plugin-sdk';
import { AwsPluginError, NOT_FOUND, RETRY } from './errors.js';
import { AMI_ID, imageFilter, type AwsProperties } from './properties.js';

/** EC2 instance-state-name -> Kadende status. Stopped instances do no work: unhealthy, so they get replaced. */
export const STATUS: Record<string, ResourceStatus> = {
  pending: 'pending',
  running: 'active',
  'shutting-down': 'terminating',
  terminated: 'terminated',
  stopping: 'unhealthy',
  stopped: 'unhealthy',
};

/** Every state but terminated: terminated instances linger in EC2 for an hour and are not resources any more. */
const LIVE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

export function toResource(instance: Instance): Resource {
  const tags: Tags = {};
  for (const { Key, Value } of instance.Tags ?? []) if (Key) tags[Key] = Value ?? '';
  const address = instance.PublicIpAddress ?? instance.PrivateIpAddress;
  const resource: Resource = {
    id: instance.InstanceId!,
    status: STATUS[instance.State?.Name ?? ''] ?? 'unhealthy',
    tags,
    properties: {
      instanceType: instance.InstanceType,
      imageId: instance.ImageId,
      availabilityZone: instance.Placement?.AvailabilityZone,
      ...(instance.PrivateIpAddress ? { privateIpAddress: instance.PrivateIpAddress } : {}),
    },
  };
  if (instance.LaunchTime) resource.createdAt = new Date(instance.LaunchTime).toISOString();
  if (address) resource.address = address;
  return resource;
}

/** EC2 filter values treat * and ? as wildcards; Kadende's tags are literal. */
export const literal = (value: string) => value.replace(/[\\*?]/g, '\\$&');

export async function describeInstances(client: EC2Client, tags: Tags, context: PluginContext): Promise<Resource[]> {
  const filters = [
    ...Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [literal(value)] })),
    { Name: 'instance-state-name', Values: LIVE_STATES },
  ];
  const resources: Resource[] = [];
  let nextToken: string | undefined;
  do {
    const page = await withRetry(context, RETRY, () =>
      client.send(new DescribeInstancesCommand({ Filters: filters, MaxResults: 1000, NextToken: nextToken }), {
        abortSignal: context.signal,
      }),
    );
    for (const reservation of page.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) resources.push(toResource(instance));
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  // The filters already match; checking again guards against a provider that matches loosely.
  return resources.filter((r) => Object.entries(tags).every(([key, value]) => r.tags[key] === value));
}

/**
 * Friendly image -> AMI id, cached per worker for ten minutes (images are published, not
 * changed). The look-up itself is cached, so a batch of concurrent creates asks EC2 once.
 */
const images = new Map<string, { id: Promise<string>; expires: number }>();

export function resolveImage(client: EC2Client, region: string, properties: AwsProperties, context: PluginContext): Promise<string> {
  if (AMI_ID.test(properties.image)) return Promise.resolve(properties.image);
  const architecture = properties.architecture ?? 'x86_64';
  const filter = imageFilter(properties.image, architecture);
  if (!filter) {
    return Promise.reject(new AwsPluginError('AWS_ERR_VALIDATION', `Unknown image "${properties.image}": use an AMI id (ami-...) or one of the names in the aws plugin's README`));
  }
  const cacheKey = `${region}|${properties.image}|${architecture}`;
  const cached = images.get(cacheKey);
  if (cached && cached.expires > Date.now()) return cached.id;
  const id = lookUpImage(client, region, filter, architecture, context);
  images.set(cacheKey, { id, expires: Date.now() + 600_000 });
  // A failed look-up is not kept: the next create asks again.
  id.catch(() => images.delete(cacheKey));
  return id;
}

async function lookUpImage(client: EC2Client, region: string, filter: { owner: string; name: string }, architecture: string, context: PluginContext): Promise<string> {
  const answer = await withRetry(context, RETRY, () =>
    client.send(
      new DescribeImagesCommand({
        Owners: [filter.owner],
        Filters: [
          { Name: 'name', Values: [filter.name] },
          { Name: 'architecture', Values: [architecture] },
          { Name: 'state', Values: ['available'] },
        ],
      }),
      { abortSignal: context.signal },
    ),
  );
  const newest = (answer.Images ?? [])
    .filter((image) => image.ImageId && image.CreationDate)
    .sort((a, b) => Date.parse(b.CreationDate!) - Date.parse(a.CreationDate!))[0];
  if (!newest) {
    throw new AwsPluginError('AWS_ERR_IMAGE_NOT_FOUND', `No ${architecture} image named like "${filter.name}" owned by ${filter.owner} in ${region}`);
  }
  return newest.ImageId!;
}

export async function runInstance(
  client: EC2Client,
  region: string,
  properties: AwsProperties,
  tags: Tags,
  token: string,
  context: PluginContext,
): Promise<Resource> {
  const imageId = await resolveImage(client, region, properties, context);
  // Kadende's tags win over the group's extra tags: they are how the controller finds its resources.
  const allTags = { Name: `kadende ${tags['kadende.group'] ?? ''}`.trim(), ...properties.tags, ...tags };
  const command = new RunInstancesCommand({
    ImageId: imageId,
    InstanceType: properties.instanceType as _InstanceType,
    MinCount: 1,
    MaxCount: 1,
    // EC2's own idempotency: a retried RunInstances with this token answers the first one's instance.
    ClientToken: token,
    KeyName: properties.key,
    SubnetId: properties.subnetId,
    SecurityGroupIds: properties.securityGroupIds,
    Placement: properties.availabilityZone ? { AvailabilityZone: properties.availabilityZone } : undefined,
    UserData: properties.userData === undefined ? undefined : Buffer.from(properties.userData, 'utf8').toString('base64'),
    TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(allTags).map(([Key, Value]) => ({ Key, Value })) }],
  });
  let instance: Instance | undefined;
  try {
    const answer = await withRetry(context, RETRY, () => client.send(command, { abortSignal: context.signal }));
    instance = answer.Instances?.[0];
  } catch (error) {
    // The token already made an instance, with other parameters (a newer AMI behind a friendly
    // name, a changed group): that instance is this create's answer; the host replaces it if outdated.
    if (!(error instanceof AwsPluginError && error.providerCode === 'IdempotentParameterMismatch')) throw error;
    instance = await instanceByToken(client, token, context);
    if (!instance) throw error;
  }
  if (!instance?.InstanceId) throw new AwsPluginError('AWS_ERR_UNAVAILABLE', 'RunInstances answered without an instance');
  return toResource(instance);
}

async function instanceByToken(client: EC2Client, token: string, context: PluginContext): Promise<Instance | undefined> {
  const answer = await withRetry(context, RETRY, () =>
    client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'client-token', Values: [literal(token)] }] }), { abortSignal: context.signal }),
  );
  return answer.Reservations?.flatMap((r) => r.Instances ?? [])[0];
}

export async function terminateInstance(client: EC2Client, id: string, context: PluginContext): Promise<void> {
  try {
    await withRetry(context, RETRY, () => client.send(new TerminateInstancesCommand({ InstanceIds: [id] }), { abortSignal: context.signal }));
  } catch (error) {
    // Already gone is what delete wants.
    if (error instanceof AwsPluginError && error.providerCode === NOT_FOUND) return;
    throw error;
  }
}
