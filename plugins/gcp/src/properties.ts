/**
 * The gcp group's resourceProperties (validated by the manifest's
 * propertiesSchema before they get here) and the friendly names the sample
 * configuration uses: AWS-style instance types and image names.
 */
export interface GcpProperties {
  /** An SSH public key line (`user:ssh-ed25519 AAAA... comment`) added to `ssh-keys`, or a bare login name (see README). */
  key?: string;
  instanceType: string;
  image: string;
  project?: string;
  zone?: string;
  network?: string;
  subnetwork?: string;
  /** Give the VM an ephemeral external IP (default true). */
  externalIp?: boolean;
  /** GCE network tags (firewall targets). */
  networkTags?: string[];
  startupScript?: string;
  metadata?: Record<string, string>;
  labels?: Record<string, string>;
  diskSizeGb?: number;
  spot?: boolean;
  serviceAccount?: string;
}

export const DEFAULT_ZONE = 'us-central1-a';

/**
 * AWS burstable types -> the E2 shared-core/standard type with the same memory
 * (t2.micro 1 GiB -> e2-micro 1 GiB, ...). Anything else must be a GCE machine type.
 */
export const MACHINE_TYPES: Record<string, string> = {
  nano: 'e2-micro',
  micro: 'e2-micro',
  small: 'e2-small',
  medium: 'e2-medium',
  large: 'e2-standard-2',
  xlarge: 'e2-standard-4',
  '2xlarge': 'e2-standard-8',
};

export function machineType(instanceType: string): string {
  const friendly = /^t[23]a?\.(\w+)$/.exec(instanceType);
  if (friendly) {
    const mapped = MACHINE_TYPES[friendly[1]!];
    if (mapped) return mapped;
  }
  return instanceType;
}

/** Friendly image names -> public image families (GCE picks the family's newest image at insert). */
export const IMAGES: Record<string, string> = {
  debian: 'projects/debian-cloud/global/images/family/debian-12',
  'debian-12': 'projects/debian-cloud/global/images/family/debian-12',
  'debian-11': 'projects/debian-cloud/global/images/family/debian-11',
  ubuntu: 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64',
  'ubuntu-24.04': 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64',
  'ubuntu-22.04': 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts',
  // GCE has no Amazon Linux; Rocky Linux 9 is the nearest RHEL-family image with the same dnf/cloud-init tooling.
  amazonlinux: 'projects/rocky-linux-cloud/global/images/family/rocky-linux-9',
  rocky: 'projects/rocky-linux-cloud/global/images/family/rocky-linux-9',
  cos: 'projects/cos-cloud/global/images/family/cos-stable',
};

export function sourceImage(image: string): string | undefined {
  if (/^(https:\/\/|projects\/|global\/)/.test(image)) return image;
  return IMAGES[image.toLowerCase()];
}
