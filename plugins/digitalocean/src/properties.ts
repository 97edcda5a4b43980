/**
 * The digitalocean group's resourceProperties (validated by the manifest's
 * propertiesSchema before they get here), and friendly names -> DO slugs.
 */
import { DoPluginError } from './errors.js';

export interface DoProperties {
  /** A droplet class: standard (Basic), general, cpu, memory. */
  instanceType?: 'standard' | 'general' | 'cpu' | 'memory';
  /** GiB of memory; with instanceType picks the size slug. */
  memory?: number;
  /** A size slug, used as given (wins over instanceType + memory). */
  size?: string;
  /** An SSH key's name on the account, its numeric id, or its fingerprint. */
  sshKey?: string | number;
  sshKeys?: (string | number)[];
  image?: string | number;
  region?: string;
  vpcUuid?: string;
  userData?: string;
  /** Extra DO tags, as DO tag strings. */
  tags?: string[];
  monitoring?: boolean;
  ipv6?: boolean;
  backups?: boolean;
}

export const DEFAULT_REGION = 'nyc3';
export const DEFAULT_IMAGE = 'ubuntu-24-04-x64';

/** Memory (GiB) -> size slug, per droplet class, smallest first (https://slugs.do-api.dev/). */
export const SIZES: Record<NonNullable<DoProperties['instanceType']>, [memory: number, slug: string][]> = {
  standard: [
    [0.5, 's-1vcpu-512mb-10gb'],
    [1, 's-1vcpu-1gb'],
    [2, 's-1vcpu-2gb'],
    [4, 's-2vcpu-4gb'],
    [8, 's-4vcpu-8gb'],
    [16, 's-8vcpu-16gb'],
  ],
  general: [[8, 'g-2vcpu-8gb'], [16, 'g-4vcpu-16gb'], [32, 'g-8vcpu-32gb'], [64, 'g-16vcpu-64gb']],
  cpu: [[4, 'c-2'], [8, 'c-4'], [16, 'c-8'], [32, 'c-16']],
  memory: [[16, 'm-2vcpu-16gb'], [32, 'm-4vcpu-32gb'], [64, 'm-8vcpu-64gb'], [128, 'm-16vcpu-128gb']],
};

/** The size slug: `size` as given, else the class's size with exactly `memory` GiB (default: its smallest of at least 1 GiB). */
export function sizeSlug(properties: DoProperties): string {
  if (properties.size) return properties.size;
  const type = properties.instanceType ?? 'standard';
  const table = SIZES[type];
  const memory = properties.memory ?? table.find(([gib]) => gib >= 1)![0];
  const slug = table.find(([gib]) => gib === memory)?.[1];
  if (!slug) {
    throw new DoPluginError('DO_ERR_CONFIG', `No ${type} droplet with ${memory} GiB of memory; choose one of ${table.map(([gib]) => gib).join(', ')} GiB, or give a size slug as "size"`);
  }
  return slug;
}

export const IMAGES: Record<string, string> = {
  debian: 'debian-12-x64',
  'debian-12': 'debian-12-x64',
  ubuntu: 'ubuntu-24-04-x64',
  'ubuntu-24.04': 'ubuntu-24-04-x64',
  'ubuntu-22.04': 'ubuntu-22-04-x64',
  fedora: 'fedora-40-x64',
  rocky: 'rockylinux-9-x64',
  // DO publishes no Amazon Linux: the nearest RHEL-family image, as in the gcp plugin.
  amazonlinux: 'rockylinux-9-x64',
};

export function imageSlug(image: DoProperties['image']): string | number {
  if (image === undefined) return DEFAULT_IMAGE;
  if (typeof image === 'number' || /^\d+$/.test(image)) return Number(image);
  return IMAGES[image.toLowerCase()] ?? image;
}
