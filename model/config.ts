/**
 * What the rest of the host sees of a cluster configuration, after parsing,
 * validation and flattening (host/config/load.ts). Types only; the YAML schema
 * itself lives in host/config/schema.ts, the defaults in host/config/types.ts.
 */

/** Where a plugin comes from, as the configuration names it. */
export interface PluginRef {
  /** As written in the configuration; matched case-insensitively. */
  name: string;
  /** `latest` (the default), an exact version or a semver range. */
  version: string;
  /** A tarball URL instead of the registry. */
  url?: string;
  /** `sha512-...` the tarball must match. */
  integrity?: string;
}

/** Per-group safety and rollout knobs; every field has a default. */
export interface GroupPolicy {
  /** More unhealthy than this at once stops replacement: an integer or a percentage of size ("100%"). */
  maxUnhealthy: number | string;
  /** Extra resources allowed during a rolling replacement of outdated ones. */
  maxSurge: number | string;
  /** Resources that may be missing during a rolling replacement. */
  maxUnavailable: number | string;
  /** A resource still `pending` this long after its creation counts as unhealthy. */
  startupTimeoutSeconds: number;
  /** A tagged but unrecorded resource younger than this is left alone (it may be another host's create in flight). */
  orphanMinAgeSeconds: number;
  /** The most plugin calls (creates, deletes) this group has in flight at once; unset: only the plugin account's limit applies. */
  maxInFlight?: number;
}

/** A leaf group: N resources of one type. Its identity is its path. */
export interface LeafGroup {
  /** `group2/sub-group1` */
  path: string;
  size: number;
  plugin: PluginRef;
  properties: Record<string, unknown>;
  policy: GroupPolicy;
}

export interface ClusterSpec {
  id?: string;
  version: string;
  name: string;
  /** Leaf groups in the order they appear in the file. */
  groups: LeafGroup[];
}

/** One problem in a configuration, located in its file. */
export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /** Field path, e.g. `groups.group2.sub-group1.size`. */
  path: string;
  message: string;
}
