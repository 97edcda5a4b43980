/**
 * GCE instances <-> Kadende resources: state mapping, label filters, and the
 * calls (list, insert + zone operation, get, delete) with retries inside the
 * deadline.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { protos } from '@google-cloud/compute';
import { TAG_GROUP, TAG_RESOURCE, withRetry, type PluginContext, type Resource, type ResourceStatus, type Tags } from '@kadende/plugin-sdk';
import type { Gce } from './client.js';
import { GcpPluginError, RETRY } from './errors.js';
import { labelFilter, originalTags, tagsToLabels, TAGS_METADATA_KEY } from './labels.js';
import { machineType, sourceImage, type GcpProperties } from './properties.js';

type Instance = protos.google.cloud.compute.v1.IInstance;
type Operation = protos.google.cloud.compute.v1.IOperation;

/**
 * GCE instance status -> Kadende status, from the Instance.status reference and the instance
 * life cycle page: STOPPING is "currently stopping (either being deleted or killed)", and
 * TERMINATED "has stopped (either by explicit action or underlying failure)". A stopped,
 * stopping, suspended or repairing VM still exists and does no work: unhealthy, so it counts
 * against maxUnhealthy and is replaced. Only a VM being deleted is gone; GCE has no status of
 * its own for that, so listInstances asks for pending delete operations (see deleting()).
 */
export const STATUS: Record<string, ResourceStatus> = {
  PROVISIONING: 'pending',
  STAGING: 'pending',
  PENDING: 'pending', // flex-start VMs waiting for capacity
  RUNNING: 'active',
  PENDING_STOP: 'unhealthy',
  STOPPING: 'unhealthy',
  STOPPED: 'unhealthy',
  SUSPENDING: 'unhealthy',
  SUSPENDED: 'unhealthy',
  TERMINATED: 'unhealthy',
  DEPROVISIONING: 'unhealthy', // tear-down after a stop or on the way to deletion
  REPAIRING: 'unhealthy',
};

/** States a VM passes through on its way to deletion: worth asking whether a delete is under way. */
const MAY_BE_DELETING = new Set(['PENDING_STOP', 'STOPPING', 'DEPROVISIONING', 'TERMINATED', 'STOPPED', 'SUSPENDING', 'SUSPENDED']);

const lastSegment = (url: string | null | undefined) => (url ? url.slice(url.lastIndexOf('/') + 1) : undefined);

/** Resource ids are `<zone>/<name>`: delete then finds the VM even if the group's zone changed since. */
export function parseId(id: string, defaultZone: string): { zone: string; name: string } {
  const slash = id.lastIndexOf('/');
  return slash < 0 ? { zone: defaultZone, name: id } : { zone: id.slice(0, slash), name: id.slice(slash + 1) };
}

export function toResource(instance: Instance, zone: string): Resource {
  const nic = instance.networkInterfaces?.[0];
  const address = nic?.accessConfigs?.find((ac) => ac.natIP)?.natIP ?? nic?.networkIP ?? undefined;
  const instanceZone = lastSegment(instance.zone) ?? zone;
  const resource: Resource = {
    id: `${instanceZone}/${instance.name}`,
    status: STATUS[String(instance.status)] ?? 'unhealthy',
    tags: originalTags(instance.labels, instance.metadata?.items),
    properties: {
      zone: instanceZone,
      machineType: lastSegment(instance.machineType),
      ...(instance.id ? { instanceId: String(instance.id) } : {}),
      ...(nic?.networkIP ? { privateIp: nic.networkIP } : {}),
    },
  };
  if (instance.creationTimestamp) resource.createdAt = new Date(instance.creationTimestamp).toISOString();
  if (address) resource.address = address;
  return resource;
}

/** One name per token: GCE refuses a second instance with it (409), which backs up the label look-up. */
export function instanceName(token: string, group: string | undefined): string {
  const hash = createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 16);
  const slug = (group ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug ? `kd-${slug}-${hash}` : `kd-${hash}`;
}

const options = (context: PluginContext) => ({ timeout: Math.max(1, context.deadline - Date.now()), maxRetries: 0 });

export async function listInstances(gce: Gce, tags: Tags, context: PluginContext): Promise<Resource[]> {
  const filter = labelFilter(tags);
  const resources: Resource[] = [];
  const instances: Instance[] = [];
  let pageToken: string | undefined;
  do {
    const [items, next] = await withRetry(context, RETRY, () =>
      gce.instances.list({ project: gce.project, zone: gce.zone, filter, maxResults: 500, pageToken }, { ...options(context), autoPaginate: false }),
    );
    for (const instance of items) resources.push(toResource(instance, gce.zone));
    instances.push(...items);
    pageToken = next?.pageToken ?? undefined;
  } while (pageToken);
  if (instances.some((i) => MAY_BE_DELETING.has(String(i.status)))) {
    const beingDeleted = await deleting(gce, context);
    for (const [n, instance] of instances.entries()) if (beingDeleted.has(String(instance.id))) resources[n]!.status = 'terminating';
  }
  // Labels may be hashes: the original tags decide.
  return resources.filter((r) => Object.entries(tags).every(([key, value]) => r.tags[key] === value));
}

/** Ids of the zone's instances with a delete operation not yet DONE. */
async function deleting(gce: Gce, context: PluginContext): Promise<Set<string>> {
  const ids = new Set<string>();
  let pageToken: string | undefined;
  do {
    const [items, next] = await withRetry(context, RETRY, () =>
      gce.operations.list(
        { project: gce.project, zone: gce.zone, filter: '(operationType = "delete") (status != "DONE")', maxResults: 500, pageToken },
        { ...options(context), autoPaginate: false },
      ),
    );
    for (const operation of items) if (operation.targetId) ids.add(String(operation.targetId));
    pageToken = next?.pageToken ?? undefined;
  } while (pageToken);
  return ids;
}

async function waitForOperation(gce: Gce, zone: string, operation: Operation, context: PluginContext): Promise<void> {
  let current = operation;
  // zoneOperations.wait answers when the operation is DONE or after about two minutes, whichever is first.
  while (String(current.status) !== 'DONE') {
    [current] = await withRetry(context, RETRY, () => gce.operations.wait({ project: gce.project, zone, operation: operation.name! }, options(context)));
  }
  const errors = current.error?.errors ?? [];
  if (errors.length > 0) {
    throw new GcpPluginError('GCP_ERR_OPERATION', `${current.operationType} of ${lastSegment(current.targetLink)} failed: ${errors.map((e) => e.message).join('; ')}`, errors[0]?.code ?? undefined);
  }
}

async function getInstance(gce: Gce, zone: string, name: string, context: PluginContext): Promise<Instance> {
  const [instance] = await withRetry(context, RETRY, () => gce.instances.get({ project: gce.project, zone, instance: name }, options(context)));
  return instance;
}

function instanceResource(name: string, zone: string, properties: GcpProperties, tags: Tags): Instance {
  const image = sourceImage(properties.image);
  if (!image) throw new GcpPluginError('GCP_ERR_VALIDATION', `Unknown image "${properties.image}": use an image path (projects/...) or one of the names in the gcp plugin's README`);
  const region = zone.replace(/-[a-z]$/, '');
  const items: { key: string; value: string }[] = Object.entries(properties.metadata ?? {}).map(([key, value]) => ({ key, value }));
  if (properties.startupScript !== undefined) items.push({ key: 'startup-script', value: properties.startupScript });
  if (properties.key?.includes('ssh-')) items.push({ key: 'ssh-keys', value: properties.key });
  else if (properties.key) items.push({ key: 'kadende-ssh-user', value: properties.key });
  items.push({ key: TAGS_METADATA_KEY, value: JSON.stringify(tags) });
  const path = (value: string, prefix: string) => (value.includes('/') ? value : `${prefix}${value}`);
  return {
    name,
    machineType: `zones/${zone}/machineTypes/${machineType(properties.instanceType)}`,
    // Kadende's labels win over the group's extra labels: they are how the controller finds its VMs.
    labels: { ...properties.labels, ...tagsToLabels(tags) },
    metadata: { items },
    disks: [{ boot: true, autoDelete: true, initializeParams: { sourceImage: image, ...(properties.diskSizeGb ? { diskSizeGb: properties.diskSizeGb } : {}) } }],
    networkInterfaces: [
      {
        network: path(properties.network ?? 'default', 'global/networks/'),
        ...(properties.subnetwork ? { subnetwork: path(properties.subnetwork, `regions/${region}/subnetworks/`) } : {}),
        accessConfigs: properties.externalIp === false ? [] : [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT' }],
      },
    ],
    ...(properties.networkTags?.length ? { tags: { items: properties.networkTags } } : {}),
    ...(properties.spot ? { scheduling: { provisioningModel: 'SPOT', instanceTerminationAction: 'DELETE' } } : {}),
    ...(properties.serviceAccount ? { serviceAccounts: [{ email: properties.serviceAccount, scopes: ['https://www.googleapis.com/auth/cloud-platform'] }] } : {}),
  };
}

export async function createInstance(gce: Gce, properties: GcpProperties, tags: Tags, token: string, context: PluginContext): Promise<Resource> {
  const zone = gce.zone;
  // 1. Already made by an earlier try of this create? The kadende.resource label says so.
  const [existing] = await listInstances(gce, { [TAG_RESOURCE]: tags[TAG_RESOURCE] ?? token }, context);
  if (existing) return existing;

  const name = instanceName(token, tags[TAG_GROUP]);
  const resource = instanceResource(name, zone, properties, tags);
  // 2. Insert. The requestId makes GCE answer a retried insert (after a lost answer) with the first one's operation.
  const requestId = randomUUID();
  let operation: Operation;
  try {
    const [lro] = await withRetry(context, RETRY, () => gce.instances.insert({ project: gce.project, zone, requestId, instanceResource: resource }, options(context)));
    operation = lro.latestResponse as Operation;
  } catch (error) {
    if (!(error instanceof GcpPluginError && error.code === 'GCP_ERR_CONFLICT')) throw error;
    // The name is taken: ours from an earlier try (return it), or someone else's (a real conflict).
    const instance = await getInstance(gce, zone, name, context);
    const found = toResource(instance, zone);
    if (found.tags[TAG_RESOURCE] !== (tags[TAG_RESOURCE] ?? token)) {
      throw new GcpPluginError('GCP_ERR_CONFLICT', `Instance ${name} exists in ${zone} but was not made for this create token`, 'alreadyExists');
    }
    return found;
  }
  // 3. Wait for the zone operation, then answer the instance as it is now.
  await waitForOperation(gce, zone, operation, context);
  return toResource(await getInstance(gce, zone, name, context), zone);
}

export async function deleteInstance(gce: Gce, id: string, context: PluginContext): Promise<void> {
  const { zone, name } = parseId(id, gce.zone);
  const requestId = randomUUID();
  try {
    const [lro] = await withRetry(context, RETRY, () => gce.instances.delete({ project: gce.project, zone, instance: name, requestId }, options(context)));
    await waitForOperation(gce, zone, lro.latestResponse as Operation, context);
  } catch (error) {
    // Already gone is what delete wants.
    if (error instanceof GcpPluginError && error.code === 'GCP_ERR_NOT_FOUND') return;
    throw error;
  }
}
