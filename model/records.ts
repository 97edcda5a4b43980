/**
 * What the store keeps about clusters and resources: types only, shared by
 * every part of the host (and, for pins, by the plugin resolver).
 */
import type { ResourceStatus } from '@kadende/plugin-sdk';
import type { ClusterSpec } from './config.js';

/** The exact plugin a group runs, fixed when the cluster is applied. */
export interface PluginPin {
  /** The manifest's canonical (lower-case) name. */
  name: string;
  version: string;
  source: 'builtin' | 'local' | 'registry' | 'url';
  /** sha512 integrity of the tarball, where the plugin came from one. */
  integrity?: string;
  url?: string;
  /** What the configuration asked for when this pin was made: a changed request re-resolves. */
  requested: { name: string; version: string; url?: string };
}

/** A group removed from the configuration while it still had resources: reconciled to zero, then dropped. */
export interface RetiredGroup {
  pin: PluginPin;
  properties: Record<string, unknown>;
}

export interface ClusterRecord {
  id: string;
  name: string;
  /** Bumped on every apply that changes the configuration. */
  generation: number;
  createdAt: string;
  updatedAt: string;
  spec: ClusterSpec & { id: string };
  /** The configuration as the operator wrote it. */
  source: { file: string; text: string };
  /** Per group path. */
  pins: Record<string, PluginPin>;
  /** Per group path: removed groups whose resources are still being deleted. */
  retired: Record<string, RetiredGroup>;
  /** `kadende delete cluster` started: every group is reconciled to zero. */
  deleting?: boolean;
  /**
   * Per group path: the group's earlier plugin pins and properties (a region, a zone it
   * was moved from). Each is described, and what it finds deleted, until nothing of the
   * group is left there; then it is dropped.
   */
  retiredPlacements?: Record<string, RetiredGroup[]>;
}

/**
 * What Kadende intends and knows about one resource. The record is written
 * before the plugin is asked to create or delete, so a crash leaves intent, not
 * an untracked resource.
 */
export type RecordState = 'creating' | 'active' | 'deleting' | 'failed';

export interface ResourceRecord {
  /** Also the `kadende.resource` tag and the create token. */
  id: string;
  clusterId: string;
  groupPath: string;
  state: RecordState;
  /** `kadende.spec` of what was (or is being) created. */
  specHash: string;
  createdAt: string;
  updatedAt: string;
  /** The provider's id, once create answered or describe saw it. */
  providerId?: string;
  /** Last time describe saw the resource. */
  observedAt?: string;
  /** Last status describe (or create) reported. */
  status?: ResourceStatus;
  address?: string;
  /** Create attempts made. */
  attempts: number;
  /** When the last create attempt was sent (committed before the call), until it is answered: until CREATE_IN_FLIGHT_MS later it may still land. */
  createSentAt?: string;
  lastError?: string;
  /** Why it is being deleted. */
  deleteReason?: string;
}

export interface ResourceKey {
  clusterId: string;
  groupPath: string;
  id: string;
}
