/**
 * Kadende tags <-> GCE labels. Label keys must match [a-z][a-z0-9_-]{0,62}
 * and values [a-z0-9_-]{0,63}, but Kadende tags have dots, slashes, upper
 * case and may be long. So:
 *
 * - labels are an index for filtering: each tag becomes one label through an
 *   injective encoding (different tags never give the same label);
 * - the original tags are also kept verbatim, as JSON, in the instance
 *   metadata item `kadende-tags`, and describe answers those.
 *
 * Encoding (the SDK's escapeTagText): every character outside [a-z0-9-] (including '_' itself and upper
 * case) becomes '_' plus two lowercase hex digits per UTF-8 byte:
 * `kadende.group` -> `kadende_2egroup`, `group2/sub-group1` ->
 * `group2_2fsub-group1`, `Web` -> `_57eb`. It is reversible, so labels made by
 * Kadende stay readable in the console. When the escaped text does not fit
 * (longer than 63, or a key not starting with a letter), the label holds
 * `_h` + hex of SHA-256 instead (keys: `k_h...`); escaping never produces `_h`,
 * so hashed and escaped labels cannot collide.
 */
import { createHash } from 'node:crypto';
import { escapeTagText, unescapeTagText } from '@kadende/plugin-sdk';

export const TAGS_METADATA_KEY = 'kadende-tags';

const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export function encodeLabelValue(value: string): string {
  const escaped = escapeTagText(value);
  return escaped.length <= 63 ? escaped : `_h${sha(value).slice(0, 61)}`;
}

export function encodeLabelKey(key: string): string {
  const escaped = escapeTagText(key);
  return escaped.length <= 63 && /^[a-z]/.test(escaped) ? escaped : `k_h${sha(key).slice(0, 60)}`;
}

/** The original text of an escaped label, or undefined for a hashed one (or a label not made by this encoding). */
export function decodeLabel(label: string): string | undefined {
  // A hash ('_h' + hex) is not in the escaped shape ('h' is no hex digit): undefined.
  return unescapeTagText(label);
}

export function tagsToLabels(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([key, value]) => [encodeLabelKey(key), encodeLabelValue(value)]));
}

/** GCE list filter matching every tag: `(labels.k = "v") (labels.k2 = "v2")`, ANDed. */
export function labelFilter(tags: Record<string, string>): string {
  return Object.entries(tagsToLabels(tags))
    .map(([key, value]) => `(labels.${key} = "${value}")`)
    .join(' ');
}

/**
 * The original tags of an instance: the `kadende-tags` metadata item when it
 * is there, else whatever its labels decode to (labels set by hand or by an
 * older version).
 */
export function originalTags(labels: Record<string, string> | null | undefined, metadataItems: { key?: string | null; value?: string | null }[] | null | undefined): Record<string, string> {
  const stored = metadataItems?.find((item) => item.key === TAGS_METADATA_KEY)?.value;
  if (stored) {
    try {
      const parsed = JSON.parse(stored) as unknown;
      if (typeof parsed === 'object' && parsed !== null && Object.values(parsed).every((v) => typeof v === 'string')) {
        return parsed as Record<string, string>;
      }
    } catch {
      // A hand-edited, broken item: fall back to the labels.
    }
  }
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels ?? {})) {
    const originalKey = decodeLabel(key);
    const originalValue = decodeLabel(value);
    if (originalKey && originalValue !== undefined) tags[originalKey] = originalValue;
  }
  return tags;
}
