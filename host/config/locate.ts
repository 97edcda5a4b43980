/** Maps a path in the parsed document back to a line and column of the source text. */
import { isAlias, isCollection, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';

export type DocumentPath = Array<string | number>;
export interface Position {
  line: number;
  column: number;
}
/** `value` (the default) points at the field's value, `key` at its name. */
export type Anchor = 'value' | 'key';

export interface Locator {
  /** 1-based; a path that does not exist resolves to its nearest existing parent. */
  locate(path: DocumentPath, at?: Anchor): Position;
  /** The keys of the mapping at `path` in source order (plain objects put integer-like keys first). */
  keys(path: DocumentPath): string[] | undefined;
  /** 1-based position of a source offset (line 1, column 1 when unknown). */
  position(offset: number | undefined): Position;
}

export function createLocator(doc: Document, lineCounter: LineCounter): Locator {
  const at = (offset: number | undefined): Position => {
    if (offset === undefined) return { line: 1, column: 1 };
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const resolve = (node: unknown): Node | undefined =>
    (isAlias(node) ? node.resolve(doc) : (node as Node | null | undefined)) ?? undefined;

  /** Follows the path as far as it exists: the last node reached and the pair that led to it. */
  const walk = (path: DocumentPath) => {
    let node = resolve(doc.contents);
    let pair: Pair | undefined;
    let depth = 0;
    for (const segment of path) {
      if (isMap(node)) {
        const found = node.items.find((item) => String(isScalar(item.key) ? item.key.value : item.key) === String(segment));
        if (!found) break;
        pair = found;
        node = resolve(found.value);
      } else if (isSeq(node)) {
        const item = resolve(node.items[Number(segment)]);
        if (!item) break;
        pair = undefined;
        node = item;
      } else break;
      depth++;
    }
    return { node, pair, complete: depth === path.length };
  };

  return {
    position: at,
    locate(path, anchor = 'value') {
      const { node, pair, complete } = walk(path);
      const keyOffset = (pair?.key as Node | undefined)?.range?.[0];
      // A block mapping or list starts on the line after its key, an empty value
      // has no text of its own, and a missing field belongs to its parent's key:
      // in those cases the key is what the reader should look at.
      const preferKey =
        anchor === 'key' ||
        !complete ||
        !node ||
        (isCollection(node) && !node.flow) ||
        (isScalar(node) && !!node.range && node.range[0] === node.range[1]);
      if (preferKey && keyOffset !== undefined) return at(keyOffset);
      return at(node?.range?.[0]);
    },
    keys(path) {
      const { node, complete } = walk(path);
      if (!complete || !isMap(node)) return undefined;
      return node.items.map((item) => String(isScalar(item.key) ? item.key.value : item.key));
    },
  };
}
