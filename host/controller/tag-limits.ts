/**
 * A plugin's declared tag limits (manifest `tagLimits`) checked at apply against the tags
 * the host will put on every resource of a group, so that a group whose path (or cluster
 * id) cannot fit its provider's tags is refused with its file:line instead of failing
 * every create at run time.
 */
import { escapeTagText, TAG_CLUSTER, TAG_GROUP, TAG_RESOURCE, TAG_SPEC, type TagLimits } from '@kadende/plugin-sdk';

/** A record id (UUIDv7) is always this long: the resource tag's value. */
const RECORD_ID_LENGTH = 36;

/** Why the tags of a group would not fit, one message per tag; empty when they fit. */
export function tagLimitProblems(limits: TagLimits | undefined, tags: { clusterId: string; groupPath: string; specHash: string }, plugin: string): string[] {
  if (!limits) return [];
  const values: Record<string, string> = {
    [TAG_CLUSTER]: tags.clusterId,
    [TAG_GROUP]: tags.groupPath,
    [TAG_RESOURCE]: 'x'.repeat(RECORD_ID_LENGTH),
    [TAG_SPEC]: tags.specHash,
  };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const what = key === TAG_GROUP ? 'the group path' : key === TAG_CLUSTER ? 'the cluster id' : key;
    if (limits.maxValueLength !== undefined && value.length > limits.maxValueLength) {
      problems.push(`${what} is ${value.length} characters, but ${plugin} tag values hold at most ${limits.maxValueLength} (tag ${key})`);
    }
    const tagLength = `${escapeTagText(key)}:${escapeTagText(value)}`.length;
    if (limits.maxTagLength !== undefined && tagLength > limits.maxTagLength) {
      problems.push(`${what} makes the tag ${key} ${tagLength} characters once encoded, but ${plugin} tags hold at most ${limits.maxTagLength}`);
    }
  }
  return problems;
}
