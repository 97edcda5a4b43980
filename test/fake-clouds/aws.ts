/**
 * A fake EC2 speaking the Query protocol (API version 2016-11-15): form-encoded
 * POSTs in, XML out, errors as <Response><Errors><Error>. Enough of EC2 for the
 * aws plugin: RunInstances (honouring ClientToken), DescribeInstances (tag:,
 * instance-state-name, instance-id and client-token filters, MaxResults and
 * NextToken pagination), TerminateInstances and DescribeImages.
 *
 *   const ec2 = await startFakeEc2({ pendingMs: 20 });
 *   new EC2Client({ endpoint: ec2.url, region: 'us-east-1', credentials: {...} });
 */
import { randomUUID } from 'node:crypto';
import { listingVisibility, serveCloud, page, Timers, uniqueHex, type Answer, type FakeCloudBase, type FakeCloudOptions, type Route } from './common.js';
import { document, type XmlValue } from './xml.js';

export type Ec2State = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';
const STATE_CODES: Record<Ec2State, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };

export interface Ec2Instance {
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  state: Ec2State;
  launchTime: string;
  clientToken?: string;
  keyName?: string;
  subnetId?: string;
  securityGroupIds: string[];
  availabilityZone: string;
  /** The region whose endpoint made it (from the request's SigV4 credential scope): EC2 is regional. */
  region: string;
  privateIpAddress: string;
  publicIpAddress?: string;
  userData?: string;
  tags: Record<string, string>;
}

export interface Ec2Image {
  imageId: string;
  name: string;
  ownerId: string;
  ownerAlias?: string;
  architecture: 'x86_64' | 'arm64';
  creationDate: string;
  state?: 'available' | 'pending';
}

export interface FakeEc2Options extends FakeCloudOptions {
  /** When set, only this access key id is accepted; others get AuthFailure. */
  accessKeyId?: string;
  /** The region answered in availability zones. Default us-east-1. */
  region?: string;
  /** Images DescribeImages knows; defaults to a few Debian, Ubuntu and Amazon Linux images. */
  images?: Ec2Image[];
  /**
   * EC2's eventual consistency for TerminateInstances: an instance younger than this (by the
   * `now` clock) is answered InvalidInstanceID.NotFound and keeps running. Default 0.
   */
  terminateLagMs?: number;
}

export interface FakeEc2 extends FakeCloudBase {
  instances: Map<string, Ec2Instance>;
  images: Ec2Image[];
}

export const DEFAULT_IMAGES: Ec2Image[] = [
  { imageId: 'ami-0d1e0000000000001', name: 'debian-12-amd64-20240101-1000', ownerId: '136693071363', architecture: 'x86_64', creationDate: '2024-01-01T10:00:00.000Z' },
  { imageId: 'ami-0d1e0000000000002', name: 'debian-12-amd64-20240601-1200', ownerId: '136693071363', architecture: 'x86_64', creationDate: '2024-06-01T12:00:00.000Z' },
  { imageId: 'ami-0d1e0000000000003', name: 'debian-12-arm64-20240601-1200', ownerId: '136693071363', architecture: 'arm64', creationDate: '2024-06-01T12:00:00.000Z' },
  // Same name pattern, another owner: a lookup that ignores the owner picks an impostor.
  { imageId: 'ami-0bad000000000000f', name: 'debian-12-amd64-20250101-0000', ownerId: '999999999999', architecture: 'x86_64', creationDate: '2025-01-01T00:00:00.000Z' },
  { imageId: 'ami-0a12023000000000a', name: 'al2023-ami-2023.5.20240601.0-kernel-6.1-x86_64', ownerId: '137112412989', ownerAlias: 'amazon', architecture: 'x86_64', creationDate: '2024-06-01T00:00:00.000Z' },
  { imageId: 'ami-0b0b000000000000b', name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20240601', ownerId: '099720109477', architecture: 'x86_64', creationDate: '2024-06-01T00:00:00.000Z' },
];

const NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

function errorAnswer(status: number, code: string, message: string): Answer {
  return {
    status,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: document('Response', { Errors: { Error: { Code: code, Message: message } }, RequestID: randomUUID() }),
  };
}

class Ec2Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Numbered members of a Query-protocol list: `Prefix.1`, `Prefix.2`, ... */
function members(params: Record<string, string>, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; params[`${prefix}.${i}`] !== undefined; i++) out.push(params[`${prefix}.${i}`]!);
  return out;
}

function filtersOf(params: Record<string, string>): { name: string; values: string[] }[] {
  const filters: { name: string; values: string[] }[] = [];
  for (let i = 1; params[`Filter.${i}.Name`] !== undefined; i++) {
    filters.push({ name: params[`Filter.${i}.Name`]!, values: members(params, `Filter.${i}.Value`) });
  }
  return filters;
}

/** EC2 filter values allow * and ? wildcards; a backslash makes the next character literal. */
function wildcard(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) source += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

const matchesAny = (value: string | undefined, patterns: string[]) =>
  value !== undefined && patterns.some((p) => wildcard(p).test(value));

function instanceXml(instance: Ec2Instance): XmlValue {
  return {
    instanceId: instance.instanceId,
    imageId: instance.imageId,
    instanceState: { code: STATE_CODES[instance.state], name: instance.state },
    privateDnsName: `ip-${instance.privateIpAddress.replace(/\./g, '-')}.ec2.internal`,
    keyName: instance.keyName,
    amiLaunchIndex: 0,
    instanceType: instance.instanceType,
    launchTime: instance.launchTime,
    placement: { availabilityZone: instance.availabilityZone, tenancy: 'default' },
    subnetId: instance.subnetId,
    privateIpAddress: instance.privateIpAddress,
    ipAddress: instance.publicIpAddress,
    groupSet: instance.securityGroupIds.map((groupId) => ({ groupId })),
    clientToken: instance.clientToken,
    tagSet: Object.entries(instance.tags).map(([key, value]) => ({ key, value })),
  };
}

function reservationsXml(instances: Ec2Instance[]): XmlValue {
  const byReservation = new Map<string, Ec2Instance[]>();
  for (const instance of instances) {
    byReservation.set(instance.reservationId, [...(byReservation.get(instance.reservationId) ?? []), instance]);
  }
  return [...byReservation].map(([reservationId, members]) => ({
    reservationId,
    ownerId: '123456789012',
    groupSet: [],
    instancesSet: members.map(instanceXml),
  }));
}

export async function startFakeEc2(options: FakeEc2Options = {}): Promise<FakeEc2> {
  const pendingMs = options.pendingMs ?? 50;
  const region = options.region ?? 'us-east-1';
  const maxPage = options.maxPageSize ?? 1000;
  const timers = new Timers();
  const instances = new Map<string, Ec2Instance>();
  const tokens = new Map<string, { reservationId: string; fingerprint: string }>(); // ClientToken -> the first run
  const images = options.images ?? DEFAULT_IMAGES.map((image) => ({ ...image }));
  const visibility = listingVisibility(options);
  const now = options.now ?? Date.now;
  let addressCounter = 0;

  const ok = (action: string, value: Record<string, XmlValue>): Answer => ({
    status: 200,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: document(`${action}Response`, { requestId: randomUUID(), ...value }, NAMESPACE),
  });

  function runInstances(params: Record<string, string>, requestRegion: string): Answer {
    const token = params.ClientToken;
    if (token && token.length > 64) throw new Ec2Error(400, 'InvalidParameterValue', 'ClientToken is longer than 64 characters');
    // EC2 compares a repeated token's parameters with the first run's: the same answer, or a mismatch error.
    const fingerprint = JSON.stringify(Object.entries(params).filter(([k]) => k !== 'ClientToken').sort());
    const known = token ? tokens.get(token) : undefined;
    if (known) {
      if (known.fingerprint !== fingerprint) {
        throw new Ec2Error(400, 'IdempotentParameterMismatch', 'The client token you have provided is associated with a resource that is already deleted or was created with different parameters.');
      }
      const same = [...instances.values()].filter((i) => i.reservationId === known.reservationId);
      return ok('RunInstances', { reservationId: known.reservationId, ownerId: '123456789012', groupSet: [], instancesSet: same.map(instanceXml) });
    }
    const imageId = params.ImageId;
    if (!imageId) throw new Ec2Error(400, 'MissingParameter', 'The request must contain the parameter ImageId');
    if (!images.some((image) => image.imageId === imageId)) {
      throw new Ec2Error(400, 'InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
    }
    const count = Number(params.MaxCount ?? '1');
    const tags: Record<string, string> = {};
    for (let s = 1; params[`TagSpecification.${s}.ResourceType`] !== undefined; s++) {
      if (params[`TagSpecification.${s}.ResourceType`] !== 'instance') continue;
      for (let t = 1; params[`TagSpecification.${s}.Tag.${t}.Key`] !== undefined; t++) {
        const key = params[`TagSpecification.${s}.Tag.${t}.Key`]!;
        const value = params[`TagSpecification.${s}.Tag.${t}.Value`] ?? '';
        if (key.length > 128 || value.length > 256 || key.toLowerCase().startsWith('aws:')) {
          throw new Ec2Error(400, 'InvalidParameterValue', `Tag '${key}' is not valid: keys up to 128 characters, values up to 256, no aws: prefix`);
        }
        tags[key] = value;
      }
    }
    if (Object.keys(tags).length > 50) throw new Ec2Error(400, 'TagLimitExceeded', 'The maximum number of tags per resource is 50');
    const reservationId = `r-${uniqueHex(17)}`;
    const made: Ec2Instance[] = [];
    for (let n = 0; n < count; n++) {
      addressCounter += 1;
      const instance: Ec2Instance = {
        instanceId: `i-${uniqueHex(17)}`,
        reservationId,
        imageId,
        instanceType: params.InstanceType ?? 'm1.small',
        state: 'pending',
        launchTime: new Date(now()).toISOString(),
        clientToken: token,
        keyName: params.KeyName,
        subnetId: params.SubnetId,
        securityGroupIds: members(params, 'SecurityGroupId'),
        availabilityZone: params['Placement.AvailabilityZone'] ?? `${requestRegion}a`,
        region: requestRegion,
        privateIpAddress: `10.0.${(addressCounter >> 8) & 255}.${addressCounter & 255}`,
        publicIpAddress: `198.51.${(addressCounter >> 8) & 255}.${addressCounter & 255}`,
        userData: params.UserData,
        tags,
      };
      instances.set(instance.instanceId, instance);
      visibility.created(instance);
      made.push(instance);
      timers.after(pendingMs, () => {
        if (instance.state === 'pending') instance.state = 'running';
      });
    }
    if (token) tokens.set(token, { reservationId, fingerprint });
    return ok('RunInstances', { reservationId, ownerId: '123456789012', groupSet: [], instancesSet: made.map(instanceXml) });
  }

  function describeInstances(params: Record<string, string>, requestRegion: string): Answer {
    const ids = members(params, 'InstanceId');
    const maxResults = params.MaxResults === undefined ? undefined : Number(params.MaxResults);
    if (maxResults !== undefined && ids.length > 0) {
      throw new Ec2Error(400, 'InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    }
    if (maxResults !== undefined && (!Number.isInteger(maxResults) || maxResults < 5 || maxResults > 1000)) {
      throw new Ec2Error(400, 'InvalidParameterValue', `Value ( ${params.MaxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
    }
    // Only this region's instances, and (eventual consistency) only those the listing has caught up with.
    const known = (id: string) => {
      const instance = instances.get(id);
      return instance && instance.region === requestRegion && visibility.listed(instance) ? instance : undefined;
    };
    for (const id of ids) {
      if (!known(id)) throw new Ec2Error(400, 'InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    }
    let selected = ids.length > 0 ? ids.map((id) => known(id)!) : [...instances.values()].filter((i) => known(i.instanceId));
    for (const { name, values } of filtersOf(params)) {
      if (name.startsWith('tag:')) {
        const key = name.slice(4);
        selected = selected.filter((i) => matchesAny(i.tags[key], values));
      } else if (name === 'tag-key') {
        selected = selected.filter((i) => Object.keys(i.tags).some((k) => matchesAny(k, values)));
      } else if (name === 'instance-state-name') {
        selected = selected.filter((i) => matchesAny(i.state, values));
      } else if (name === 'instance-id') {
        selected = selected.filter((i) => matchesAny(i.instanceId, values));
      } else if (name === 'client-token') {
        selected = selected.filter((i) => matchesAny(i.clientToken, values));
      } else {
        throw new Ec2Error(400, 'InvalidParameterValue', `The filter '${name}' is invalid`);
      }
    }
    let offset = 0;
    if (params.NextToken) {
      offset = Number(Buffer.from(params.NextToken, 'base64url').toString('utf8').replace(/^offset:/, ''));
      if (!Number.isInteger(offset) || offset < 0) throw new Ec2Error(400, 'InvalidParameterValue', 'The token is invalid');
    }
    // Without MaxResults EC2 answers everything at once; with it, pages.
    const { items, next } = maxResults === undefined ? { items: selected, next: undefined } : page(selected, offset, maxResults, maxPage);
    return ok('DescribeInstances', {
      reservationSet: reservationsXml(items),
      nextToken: next === undefined ? undefined : Buffer.from(`offset:${next}`).toString('base64url'),
    });
  }

  function terminateInstances(params: Record<string, string>, requestRegion: string): Answer {
    const ids = members(params, 'InstanceId');
    if (ids.length === 0) throw new Ec2Error(400, 'MissingParameter', 'The request must contain the parameter InstanceId');
    for (const id of ids) {
      if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw new Ec2Error(400, 'InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
      const instance = instances.get(id);
      const young = instance !== undefined && now() - Date.parse(instance.launchTime) < (options.terminateLagMs ?? 0);
      // "If you get an InvalidInstanceID.NotFound error after running TerminateInstances, this doesn't mean
      // the instance was or will be terminated" (EC2 eventual consistency): a young instance keeps running.
      if (!instance || instance.region !== requestRegion || young) {
        throw new Ec2Error(400, 'InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
      }
    }
    const changes = ids.map((id) => {
      const instance = instances.get(id)!;
      const previous = instance.state;
      if (previous !== 'terminated') {
        instance.state = 'shutting-down';
        timers.after(pendingMs, () => {
          instance.state = 'terminated';
        });
      }
      return {
        instanceId: id,
        currentState: { code: STATE_CODES[instance.state], name: instance.state },
        previousState: { code: STATE_CODES[previous], name: previous },
      };
    });
    return ok('TerminateInstances', { instancesSet: changes });
  }

  function describeImages(params: Record<string, string>): Answer {
    const owners = members(params, 'Owner');
    const ids = members(params, 'ImageId');
    let selected = images.filter((image) => (image.state ?? 'available') === 'available' || ids.length > 0);
    if (owners.length > 0) {
      selected = selected.filter((image) => owners.includes(image.ownerId) || (image.ownerAlias !== undefined && owners.includes(image.ownerAlias)));
    }
    if (ids.length > 0) selected = selected.filter((image) => ids.includes(image.imageId));
    for (const { name, values } of filtersOf(params)) {
      if (name === 'name') selected = selected.filter((image) => matchesAny(image.name, values));
      else if (name === 'architecture') selected = selected.filter((image) => matchesAny(image.architecture, values));
      else if (name === 'state') selected = selected.filter((image) => matchesAny(image.state ?? 'available', values));
      else if (name === 'image-id') selected = selected.filter((image) => matchesAny(image.imageId, values));
      else throw new Ec2Error(400, 'InvalidParameterValue', `The filter '${name}' is invalid`);
    }
    return ok('DescribeImages', {
      imagesSet: selected.map((image) => ({
        imageId: image.imageId,
        imageLocation: `${image.ownerId}/${image.name}`,
        imageState: image.state ?? 'available',
        imageOwnerId: image.ownerId,
        creationDate: image.creationDate,
        isPublic: true,
        architecture: image.architecture,
        imageType: 'machine',
        name: image.name,
        imageOwnerAlias: image.ownerAlias,
        rootDeviceType: 'ebs',
        virtualizationType: 'hvm',
      })),
    });
  }

  const handlers: Record<string, { operation: Route['operation']; run: (p: Record<string, string>, region: string) => Answer }> = {
    RunInstances: { operation: 'create', run: runInstances },
    DescribeInstances: { operation: 'list', run: describeInstances },
    TerminateInstances: { operation: 'delete', run: terminateInstances },
    DescribeImages: { operation: 'image', run: describeImages },
  };

  const base = await serveCloud(
    {
      throttled: () => errorAnswer(503, 'RequestLimitExceeded', 'Request limit exceeded.'),
      serverError: () => errorAnswer(500, 'InternalError', 'An internal error has occurred'),
      authFailed: () => errorAnswer(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials'),
      notFound: () => errorAnswer(400, 'InvalidAction', 'The action is not valid for this web service.'),
      route: ({ request, body }) => {
        const params = Object.fromEntries(new URLSearchParams(body));
        const action = params.Action ?? '';
        const scope = /Credential=([^/]+)\/[^/]+\/([^/]+)\//.exec(request.headers.authorization ?? '');
        const credential = scope?.[1];
        // EC2 endpoints are regional: the SigV4 credential scope says which region was called.
        const requestRegion = scope?.[2] ?? region;
        if (options.accessKeyId !== undefined && credential !== options.accessKeyId) {
          return errorAnswer(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials');
        }
        const handler = handlers[action];
        if (request.method !== 'POST' || !handler) {
          return errorAnswer(400, 'InvalidAction', `The action ${action || '(none)'} is not valid for this web service.`);
        }
        return {
          action,
          operation: handler.operation,
          params,
          handle: () => {
            try {
              return handler.run(params, requestRegion);
            } catch (error) {
              if (error instanceof Ec2Error) return errorAnswer(error.status, error.code, error.message);
              throw error;
            }
          },
        };
      },
    },
    options,
    timers,
  );
  return { ...base, instances, images };
}
