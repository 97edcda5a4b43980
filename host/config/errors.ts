/** The one error a bad configuration produces, carrying every problem found. */
import type { ConfigIssue } from '../../model/index.js';
import { KadendeError } from '../../errors/index.js';

export const CONFIG_INVALID = 'KADENDE_ERR_CONFIG_INVALID';

/** `cluster.yaml:7:11: groups.group1.size: must be an integer >= 0, got "two"` */
export function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

export class ConfigError extends KadendeError {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    const sorted = [...issues].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
    const lines = sorted.map(formatIssue);
    const files = [...new Set(sorted.map((issue) => issue.file))].join(', ');
    super(
      CONFIG_INVALID,
      lines.length === 1
        ? lines[0]!
        : `${lines.length} problems in ${files || 'the cluster configuration'}:\n${lines.map((line) => `  ${line}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.issues = sorted;
  }
}

/** Field path as users read it: names joined by dots, list indexes in brackets (`groups[1].size`). */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const segment of path) {
    out += typeof segment === 'number' ? `[${segment}]` : out ? `.${segment}` : segment;
  }
  return out;
}

/** A short rendering of a found value for "got ..." (never the whole of a big object). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}
