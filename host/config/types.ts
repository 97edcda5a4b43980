/** The configuration's types live in model/; its defaults live here, beside the loader that fills them in. */
import type { GroupPolicy } from '../../model/index.js';

export type { ClusterSpec, ConfigIssue, GroupPolicy, LeafGroup, PluginRef } from '../../model/index.js';

export const DEFAULT_POLICY: GroupPolicy = {
  maxUnhealthy: '100%',
  maxSurge: 1,
  maxUnavailable: 0,
  startupTimeoutSeconds: 600,
  orphanMinAgeSeconds: 30,
};
