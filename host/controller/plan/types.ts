/** The planner's inputs and outputs, shared by its phases. */
import type { Resource } from '@kadende/plugin-sdk';
import type { GroupPolicy, ResourceRecord } from '../../../model/index.js';

export interface GroupTarget {
  clusterId: string;
  path: string;
  size: number;
  specHash: string;
  policy: GroupPolicy;
}

export interface PlanInput {
  group: GroupTarget;
  records: ResourceRecord[];
  observed: Resource[];
  /** Epoch milliseconds. */
  now: number;
  /** How long a record whose resource was never observed may stay unobserved (describe may lag behind create). */
  lostGraceMs?: number;
  /** This installation's id: a resource tagged with another one is never ours to delete. */
  installation?: string;
}

export type DeleteReason = 'unhealthy' | 'scale-in' | 'outdated' | 'retry';

export type Action =
  /** Make a new resource (a new record id, written before the plugin is called). */
  | { kind: 'create'; cause: string }
  /** A record left in `creating` (a crash, a failed attempt): create again with the same token. */
  | { kind: 'resume-create'; record: ResourceRecord; cause: string }
  /** Record what describe saw: a create confirmed, or a status change. */
  | { kind: 'observe'; record: ResourceRecord; resource: Resource; cause: string }
  | { kind: 'delete'; record: ResourceRecord; providerId?: string; reason: DeleteReason; cause: string }
  /** Drop a record: its resource is gone (lost, deleted) or it never came to be. */
  | { kind: 'forget'; record: ResourceRecord; reason: 'lost' | 'deleted' | 'surplus' | 'superseded'; cause: string }
  | { kind: 'delete-orphan'; resource: Resource; cause: string }
  | { kind: 'halt'; unhealthy: number; allowed: number; cause: string }
  /** Nothing to do yet, but not converged either (a young orphan, a lagging describe). */
  | { kind: 'wait'; cause: string };

export interface Plan {
  actions: Action[];
  status: GroupStatus;
}

/** A record that holds a slot in the group, with what describe says of it. */
export interface Live {
  record: ResourceRecord;
  /** Absent while describe has not listed it (an unconfirmed create, a lagging describe). */
  resource?: Resource;
  ready: boolean;
  /** Why it is to be replaced, if it is unhealthy. */
  unhealthy?: string;
  outdated: boolean;
}

/** Why a group is where it is (status.ts says how each is decided). */
export type PlanReason = 'converged' | 'progressing' | 'waiting' | 'creates-failed' | 'halted';
export type StatusReason = PlanReason | 'describe-failed';

export interface GroupStatus {
  reason: PlanReason;
  /** One human sentence: "2 of 3 ready; creating 1". */
  message: string;
  desired: number;
  /** Resources that exist or are being created. */
  actual: number;
  /** Observed `active` and not unhealthy. */
  healthy: number;
  unhealthy: number;
  failed: number;
  outdated: number;
  /** reason === 'halted', kept for the JSON output. */
  halted: boolean;
  /** reason === 'converged', kept for the JSON output. */
  converged: boolean;
  /** Other installations whose resources carry this cluster's and group's tags: the group halts until one stops. */
  foreignInstallations?: string[];
}

/** A group that could not be observed: no counts, only why (the plugin's error message). */
export interface UnobservedStatus {
  reason: 'describe-failed';
  message: string;
  desired: number;
  actual?: undefined;
  healthy?: undefined;
  unhealthy?: undefined;
  failed?: undefined;
  outdated?: undefined;
  halted: false;
  converged: false;
}
