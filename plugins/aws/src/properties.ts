/**
 * The aws group's resourceProperties (validated by the manifest's
 * propertiesSchema before they get here) and the friendly image names.
 */
export interface AwsProperties {
  /** EC2 key pair name. */
  key?: string;
  instanceType: string;
  /** A friendly name (see IMAGES) or an AMI id. */
  image: string;
  architecture?: 'x86_64' | 'arm64';
  region?: string;
  availabilityZone?: string;
  subnetId?: string;
  securityGroupIds?: string[];
  /** Plain text; the plugin base64-encodes it as EC2 requires. */
  userData?: string;
  /** Extra tags; Kadende's own tags win on a clash. */
  tags?: Record<string, string>;
}

export interface ImagePattern {
  /** An AWS account id or alias that publishes the image: only its images are trusted. */
  owner: string;
  /** A DescribeImages `name` filter; {arch} becomes amd64/arm64 or x86_64/arm64 as the publisher spells it. */
  name: string;
  /** How this publisher writes the architecture in names. */
  archNames: { x86_64: string; arm64: string };
}

const DEBIAN = { owner: '136693071363', archNames: { x86_64: 'amd64', arm64: 'arm64' } };
const UBUNTU = { owner: '099720109477', archNames: { x86_64: 'amd64', arm64: 'arm64' } };
const AMAZON = { owner: 'amazon', archNames: { x86_64: 'x86_64', arm64: 'arm64' } };

/**
 * Friendly names -> the publisher's documented account and name pattern. The
 * newest available image matching owner, name and architecture wins.
 * Debian: https://wiki.debian.org/Cloud/AmazonEC2Image ; Ubuntu:
 * https://documentation.ubuntu.com/aws/en/latest/aws-how-to/instances/find-ubuntu-images/ ;
 * Amazon Linux 2023: https://docs.aws.amazon.com/linux/al2023/ug/ec2.html
 */
export const IMAGES: Record<string, ImagePattern> = {
  debian: { ...DEBIAN, name: 'debian-12-{arch}-*' },
  'debian-12': { ...DEBIAN, name: 'debian-12-{arch}-*' },
  'debian-11': { ...DEBIAN, name: 'debian-11-{arch}-*' },
  ubuntu: { ...UBUNTU, name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-{arch}-server-*' },
  'ubuntu-24.04': { ...UBUNTU, name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-{arch}-server-*' },
  'ubuntu-22.04': { ...UBUNTU, name: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-{arch}-server-*' },
  amazonlinux: { ...AMAZON, name: 'al2023-ami-2023.*-kernel-*-{arch}' },
  al2023: { ...AMAZON, name: 'al2023-ami-2023.*-kernel-*-{arch}' },
  amazonlinux2: { ...AMAZON, name: 'amzn2-ami-hvm-*-{arch}-gp2' },
};

export const AMI_ID = /^ami-[0-9a-f]{8,17}$/;

/** The owner and name filter for a friendly image name, or undefined when the name is not one we know. */
export function imageFilter(image: string, architecture: 'x86_64' | 'arm64'): { owner: string; name: string } | undefined {
  const pattern = IMAGES[image.toLowerCase()];
  if (!pattern) return undefined;
  return { owner: pattern.owner, name: pattern.name.replace('{arch}', pattern.archNames[architecture]) };
}
