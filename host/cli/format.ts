/** Plain-text tables and durations for human output; `-o json` bypasses all of this. */

/** Set once from the global flags (program.ts): --no-headers. */
export const tableSettings = { headers: true };

export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  if (rows.length === 0) return tableSettings.headers ? '(none)' : '';
  const cells = rows.map((row) => columns.map((c) => (row[c] === undefined || row[c] === null ? '-' : String(row[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [...(tableSettings.headers ? [line(columns.map((c) => c.toUpperCase()))] : []), ...cells.map(line)].join('\n');
}

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
