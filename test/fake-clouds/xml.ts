/**
 * The few XML shapes the EC2 Query protocol answers with. A value that is an
 * array becomes a list of `<item>` elements (EC2's list encoding); undefined is
 * left out; everything else is escaped text.
 */
export type XmlValue = string | number | boolean | undefined | XmlValue[] | { [key: string]: XmlValue };

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

function children(value: XmlValue): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => element('item', item)).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([key, child]) => (child === undefined ? '' : element(key, child)))
      .join('');
  }
  return escapeXml(String(value));
}

export function element(name: string, value: XmlValue): string {
  return `<${name}>${children(value)}</${name}>`;
}

export function document(root: string, value: { [key: string]: XmlValue }, namespace?: string): string {
  const xmlns = namespace ? ` xmlns="${namespace}"` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${xmlns}>${children(value)}</${root}>`;
}
