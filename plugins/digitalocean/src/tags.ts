/**
 * Kadende tags <-> DigitalOcean tags. A DO tag is one string of letters,
 * digits, ':', '-' and '_', at most 255 characters, and DO treats tag names
 * case-insensitively (the first spelling wins). So each Kadende tag becomes
 * `<key>:<value>`, both parts escaped: every character outside [a-z0-9-]
 * (upper case, '.', '/', ':', '_' itself, any other UTF-8 byte) becomes '_' +
 * two lowercase hex digits. `kadende.group` = `group2/sub-group1` ->
 * `kadende_2egroup:group2_2fsub-group1`. The output is lowercase, so two tags
 * differing only in case stay apart, and it is reversible, so describe answers
 * the original tags.
 */
export const MAX_TAG = 255;

function escape(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[a-z0-9-]/.test(c) ? c : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

const ESCAPED = /^(?:[a-z0-9-]|_[0-9a-f]{2})*$/;

function unescape(text: string): string | undefined {
  if (!ESCAPED.test(text)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '_') {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(text.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The DO tag for one Kadende tag, or undefined when it would be longer than DO allows. */
export function encodeTag(key: string, value: string): string | undefined {
  const tag = `${escape(key)}:${escape(value)}`;
  return tag.length <= MAX_TAG ? tag : undefined;
}

/** The Kadende tag a DO tag encodes, or undefined for tags of another shape (a person's own tags). */
export function decodeTag(tag: string): [string, string] | undefined {
  const colon = tag.indexOf(':');
  if (colon <= 0) return undefined;
  const key = unescape(tag.slice(0, colon));
  const value = unescape(tag.slice(colon + 1));
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
