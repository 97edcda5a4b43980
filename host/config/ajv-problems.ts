/**
 * Turns ajv errors into one readable problem per field: where (a path relative
 * to the validated value) and what was expected versus found. Messages come
 * from our `expected` schema annotations when there are some (so a union such
 * as "25%"-or-integer reads as one sentence, not three), otherwise from the
 * SDK's formatAjvErrors.
 */
import type { ErrorObject } from 'ajv';
import { formatAjvErrors } from '@kadende/plugin-sdk';
import { describeValue } from './errors.js';
import { expectedOf } from './schema.js';

export type Path = Array<string | number>;

export interface FieldProblem {
  /** Relative to the validated value. */
  path: Path;
  message: string;
  /** Locate the key rather than its value (an unknown field). */
  atKey?: boolean;
}

export function ajvProblems(errors: ErrorObject[] | null | undefined, data: unknown, schema: object): FieldProblem[] {
  const all = errors ?? [];
  // Branch errors under a failed anyOf/oneOf only restate it.
  const unions = all.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => `${e.schemaPath}/`);
  const kept = all.filter((e) => !unions.some((prefix) => e.schemaPath.startsWith(prefix)));
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  for (const error of kept) {
    const problem = toProblem(error, data, schema);
    const key = `${JSON.stringify(problem.path)}\0${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

function toProblem(error: ErrorObject, data: unknown, schema: object): FieldProblem {
  const path = pointerToPath(error.instancePath, data);
  const node = schemaAt(schema, error.schemaPath);
  if (error.keyword === 'required') {
    const missing = String(error.params.missingProperty);
    const expected = expectedOf(propertySchema(node.schema, missing));
    return { path: [...path, missing], message: expected ? `is required: ${expected}` : 'is required' };
  }
  if (error.keyword === 'additionalProperties') {
    const field = String(error.params.additionalProperty);
    const allowed = Object.keys(propertySchema(node.schema) ?? {});
    const hint = suggest(field, allowed);
    return {
      path: [...path, field],
      atKey: true,
      message:
        `unknown field "${field}"` +
        (hint ? ` (did you mean "${hint}"?)` : '') +
        (allowed.length ? `; allowed fields: ${allowed.join(', ')}` : ''),
    };
  }
  const found = valueAt(data, path);
  const expected = node.expected;
  const base = expected ? `must be ${expected}` : stripWhere(error);
  // YAML reads `version: 1.0` as a number; say how to keep it a string.
  const quote = error.keyword === 'type' && error.params.type === 'string' && ['number', 'boolean'].includes(typeof found);
  return { path, message: `${base}, got ${describeValue(found)}${quote ? ' (quote it to make it a string)' : ''}` };
}

/** formatAjvErrors prefixes the instance path; we keep the path separately. */
function stripWhere(error: ErrorObject): string {
  const line = formatAjvErrors([error])[0] ?? error.message ?? 'is invalid';
  const where = error.instancePath || '(root)';
  return line.startsWith(`${where}: `) ? line.slice(where.length + 2) : line;
}

function propertySchema(schema: unknown, name?: string): unknown {
  const properties = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return name === undefined ? properties : properties?.[name];
}

/**
 * Follows an ajv schemaPath (`#/properties/size/type`) down the schema, to the
 * node holding the failed keyword and the outermost `expected` annotation that
 * still describes the same value (reset whenever the path steps into a child value).
 */
function schemaAt(root: object, schemaPath: string): { schema: unknown; expected?: string } {
  const segments = schemaPath
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  segments.pop(); // the keyword itself
  let node: unknown = root;
  let expected = expectedOf(root);
  const step = (key: string) => {
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  };
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    step(segment);
    if (segment === 'properties' || segment === 'patternProperties') {
      step(segments[++i] ?? '');
      expected = undefined;
    } else if (segment === 'items' || segment === 'additionalProperties' || segment === 'additionalItems') {
      if (Array.isArray(node)) step(segments[++i] ?? '');
      expected = undefined;
    } else if (['anyOf', 'oneOf', 'allOf', 'prefixItems'].includes(segment)) {
      step(segments[++i] ?? '');
      if (segment === 'prefixItems') expected = undefined;
    }
    expected ??= expectedOf(node);
  }
  return { schema: node, expected };
}

/** `/a/0/b` -> ['a', 0, 'b'], numbers only where the data holds a list. */
export function pointerToPath(pointer: string, data: unknown): Path {
  const path: Path = [];
  let current = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      path.push(Number(key));
      current = current[Number(key)];
    } else {
      path.push(key);
      current = current && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}

export function valueAt(data: unknown, path: Path): unknown {
  let current = data;
  for (const key of path) {
    if (!current || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key as string];
  }
  return current;
}

/** The closest allowed name by edit distance, when it is close enough to be a typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 4)) + 1;
  for (const candidate of candidates) {
    const d = candidate.toLowerCase() === word.toLowerCase() ? 0 : distance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
