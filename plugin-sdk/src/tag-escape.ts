/**
 * A reversible escaping of Kadende tag text into the alphabet clouds allow in
 * labels and tags (lowercase letters, digits, '-', '_'): every byte of the
 * UTF-8 text outside [a-z0-9-] (upper case, '.', '/', ':', '_' itself, any
 * non-ASCII byte) becomes '_' plus two lowercase hex digits. `kadende.group`
 * -> `kadende_2egroup`, `Web` -> `_57eb`. Lowercase output keeps two texts
 * differing only in case apart on providers that fold case; the mapping is
 * injective, so a filter on the escaped text matches exactly one original.
 */
const ESCAPED = /^(?:[a-z0-9-]|_[0-9a-f]{2})*$/;

export function escapeTagText(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[a-z0-9-]/.test(c) ? c : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** The original text, or undefined when `text` is not in the escaped shape (a label or tag set by someone else). */
export function unescapeTagText(text: string): string | undefined {
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
