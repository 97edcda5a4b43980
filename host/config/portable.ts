/**
 * A LoadedConfig as plain data, to cross a thread boundary: the spec, the
 * issues, where each group sits, and the position of every path a later check
 * may report (each group's own fields and everything under its
 * resourceProperties), worked out where the YAML document lives.
 */
import type { ClusterSpec, ConfigIssue } from '../../model/index.js';
import type { LoadedConfig } from './load.js';
import type { Anchor, DocumentPath, Position } from './locate.js';

export interface PortableConfig {
  spec: ClusterSpec;
  issues: ConfigIssue[];
  documentPaths: Array<[groupPath: string, path: DocumentPath]>;
  /** `anchor + JSON path` -> position. */
  positions: Array<[key: string, position: Position]>;
}

const keyOf = (path: DocumentPath, anchor: Anchor) => `${anchor}${JSON.stringify(path)}`;
const ANCHORS: Anchor[] = ['value', 'key'];
const MAX_PATHS = 1_000_000;

export function toPortable(loaded: LoadedConfig): PortableConfig {
  const positions = new Map<string, Position>();
  const remember = (path: DocumentPath) => {
    for (const anchor of ANCHORS) positions.set(keyOf(path, anchor), loaded.locate(path, anchor));
  };
  remember(['groups']);
  const documentPaths: Array<[string, DocumentPath]> = [];
  for (const group of loaded.spec.groups) {
    const at = loaded.documentPath(group.path);
    if (!at) continue;
    documentPaths.push([group.path, at]);
    remember(at);
    remember([...at, 'resourcePlugin']);
    // Every path under resourceProperties, without recursing (the loader already bounded depth and size).
    const stack: Array<{ value: unknown; path: DocumentPath }> = [{ value: group.properties, path: [...at, 'resourceProperties'] }];
    while (stack.length > 0 && positions.size < MAX_PATHS) {
      const { value, path } = stack.pop()!;
      remember(path);
      if (typeof value !== 'object' || value === null) continue;
      for (const [key, child] of Object.entries(value)) stack.push({ value: child, path: [...path, Array.isArray(value) ? Number(key) : key] });
    }
  }
  return { spec: loaded.spec, issues: loaded.issues, documentPaths, positions: [...positions] };
}

/** The LoadedConfig back: a path not in the table is located at its nearest known parent's key, as the locator does. */
export function fromPortable(data: PortableConfig): LoadedConfig {
  const positions = new Map(data.positions);
  const paths = new Map(data.documentPaths);
  return {
    spec: data.spec,
    issues: data.issues,
    locate(path, anchor = 'value') {
      const exact = positions.get(keyOf(path, anchor));
      if (exact) return exact;
      for (let n = path.length - 1; n >= 0; n -= 1) {
        const parent = positions.get(keyOf(path.slice(0, n), 'key'));
        if (parent) return parent;
      }
      return { line: 1, column: 1 };
    },
    documentPath(groupPath) {
      const path = paths.get(groupPath);
      return path && [...path];
    },
  };
}
