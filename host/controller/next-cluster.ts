/**
 * The next ClusterRecord for a validated configuration: one pure function
 * for `apply` (which stores it) and `plan -f` (which reconciles it as a
 * draft), so a plan shows exactly what an apply would act on.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ClusterRecord, ClusterSpec, LeafGroup, PluginPin, RetiredGroup } from '../../model/index.js';

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
  const retiredPlacements = movedPlacements(existing, spec.groups, pins);
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
      ...(Object.keys(retiredPlacements).length > 0 ? { retiredPlacements } : {}),
      // A configuration applied while the cluster is being deleted does not stop the delete.
      ...(existing?.deleting ? { deleting: true } : {}),
    },
  };
}

/**
 * Each group's earlier placements still to be emptied: those it had, plus its previous
 * properties when this apply changes them (describe looks where the properties say, so
 * what was made under the old ones is found only with them). A placement the group returns
 * to is current again, not retired.
 */
function movedPlacements(existing: ClusterRecord | undefined, groups: LeafGroup[], pins: Record<string, PluginPin>): Record<string, RetiredGroup[]> {
  const placements: Record<string, RetiredGroup[]> = { ...(existing?.retiredPlacements ?? {}) };
  for (const group of groups) {
    const now: RetiredGroup = { pin: pins[group.path]!, properties: group.properties };
    const before = existing?.spec.groups.find((g) => g.path === group.path);
    // Described with the current pin: an older plugin version may no longer be installable.
    const previousProperties = before?.properties ?? existing?.retired[group.path]?.properties;
    // A cluster being deleted is re-applied to fix where its plugin looks (a describe that failed):
    // the properties it had are replaced, not kept as a placement that would fail the same way.
    const previous = previousProperties && !existing?.deleting && { pin: now.pin, properties: previousProperties };
    const list = [...(placements[group.path] ?? [])];
    if (previous && !list.some((p) => isDeepStrictEqual(p.properties, previous.properties))) list.push(previous);
    const kept = list.filter((p) => !isDeepStrictEqual(p.properties, now.properties)).map((p) => ({ ...p, pin: now.pin }));
    if (kept.length > 0) placements[group.path] = kept;
    else delete placements[group.path];
  }
  return placements;
}
