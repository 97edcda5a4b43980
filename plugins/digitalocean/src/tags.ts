/**
 * Kadende tags <-> DigitalOcean tags. A DO tag is one string of letters,
 * digits, ':', '-' and '_', at most 255 characters, and DO treats tag names
 * case-insensitively (the first spelling wins). So each Kadende tag becomes
 * `<key>:<value>`, both parts escaped by the SDK's escapeTagText: every
 * character outside [a-z0-9-] (upper case, '.', '/', ':', '_' itself, any
 * other UTF-8 byte) becomes '_' + two lowercase hex digits.
 * `kadende.group` = `group2/sub-group1` -> `kadende_2egroup:group2_2fsub-group1`. The output is lowercase, so two tags
 * differing only in case stay apart, and it is reversible, so describe answers
 * the original tags.
 */
import { escapeTagText, unescapeTagText } from '@kadende/plugin-sdk';

export const MAX_TAG = 255;

/** The DO tag for one Kadende tag, or undefined when it would be longer than DO allows. */
export function encodeTag(key: string, value: string): string | undefined {
  const tag = `${escapeTagText(key)}:${escapeTagText(value)}`;
  return tag.length <= MAX_TAG ? tag : undefined;
}

/** The Kadende tag a DO tag encodes, or undefined for tags of another shape (a person's own tags). */
export function decodeTag(tag: string): [string, string] | undefined {
  const colon = tag.indexOf(':');
  if (colon <= 0) return undefined;
  const key = unescapeTagText(tag.slice(0, colon));
  const value = unescapeTagText(tag.slice(colon + 1));
  return key !== undefined && value !== undefined ? [key, value] : undefined;
}

export function decodeTags(tags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags) {
    const pair = decodeTag(tag);
    if (pair) out[pair[0]] = pair[1];
  }
  return out;
}
