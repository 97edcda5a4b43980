/**
 * The next ClusterRecord for a validated configuration: one pure function
 * for `apply` (which stores it) and `plan -f` (which reconciles it as a
 * draft), so a plan shows exactly what an apply would act on.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ClusterRecord, ClusterSpec, PluginPin, RetiredGroup } from '../../model/index.js';

export interface NextClusterInput {
  spec: ClusterSpec;
  pins: Record<string, PluginPin>;
  /** The stored cluster this configuration updates, if any. */
  existing?: ClusterRecord;
  source: { file: string; text: string };
  /** The id of a new cluster whose configuration names none. */
  newId: string;
  now: string;
}

export function nextClusterRecord(input: NextClusterInput): { cluster: ClusterRecord; changed: boolean } {
  const { spec, pins, existing, source, now } = input;
  const id = existing?.id ?? spec.id ?? input.newId;
  // A group removed from the configuration is retired: reconciled to zero, then dropped.
  const retired: Record<string, RetiredGroup> = { ...(existing?.retired ?? {}) };
  const paths = new Set(spec.groups.map((g) => g.path));
  for (const group of existing?.spec.groups ?? []) {
    if (!paths.has(group.path)) retired[group.path] = { pin: existing!.pins[group.path]!, properties: group.properties };
  }
  for (const path of paths) delete retired[path];
  const candidate = { spec: { ...spec, id }, pins };
  const changed = !existing || !isDeepStrictEqual({ spec: existing.spec, pins: existing.pins }, candidate);
  return {
    changed,
    cluster: {
      id,
      name: spec.name,
      generation: (existing?.generation ?? 0) + (changed ? 1 : 0),
      createdAt: existing?.createdAt ?? now,
      updatedAt: changed || !existing ? now : existing.updatedAt,
      ...candidate,
      source,
      retired,
    },
  };
}
