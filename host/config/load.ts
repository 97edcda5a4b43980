/**
 * Cluster configuration: YAML (or JSON) text -> validated, flattened ClusterSpec.
 * Every problem found is collected and thrown together in one ConfigError.
 */
import { Composer, isScalar, Lexer, LineCounter, Parser, visit, type Document } from 'yaml';
import type { CST } from 'yaml';
import semver from 'semver';
import type { Ajv, ValidateFunction } from 'ajv';
import { createAjv } from '@kadende/plugin-sdk';
import { ConfigError, describeValue, formatPath } from './errors.js';
import { ajvProblems, type FieldProblem } from './ajv-problems.js';
import { createLocator, type Anchor, type DocumentPath, type Locator, type Position } from './locate.js';
import { ClusterHeaderSchema, DEFAULT_PLUGIN_VERSION, GROUP_NAME_EXPECTED, GROUP_NAME_PATTERN, GroupsSchema, LEAF_MARKERS, LeafSchema, ListBranchHeaderSchema, NamedLeafSchema, PLUGIN_VERSION_FORMAT, POLICY_FIELDS, type ClusterDocument, type LeafDocument } from './schema.js';
import { DEFAULT_POLICY } from './types.js';
import { configLimits, MAX_ALIAS_COUNT, MAX_GROUP_DEPTH, MAX_GROUPS, MAX_YAML_DEPTH, MAX_GROUP_SIZE_ENV, MAX_SECONDS, type ConfigLimits } from './limits.js';
import type { ClusterSpec, ConfigIssue, GroupPolicy, LeafGroup } from '../../model/index.js';

export interface LoadedConfig {
  /** The header and the valid leaf groups. */
  spec: ClusterSpec;
  /** Problems of the rest (always empty from loadClusterConfig, which throws instead). */
  issues: ConfigIssue[];
  /** 1-based position of a document path; a missing key gives its nearest existing parent. */
  locate(path: DocumentPath, at?: Anchor): Position;
  /** Where a leaf group sits in the document (`group2/sub-group1` -> ['groups', 'group2', 'sub-group1']). */
  documentPath(groupPath: string): DocumentPath | undefined;
}

/**
 * Loads what is valid of a configuration: its header and its valid leaf
 * groups, with the issues of the rest, so that a caller can check the valid
 * groups further (their plugins' schemas) and report every problem at once.
 * Throws only when nothing is usable (a YAML syntax error, a bad header).
 */
export function loadClusterConfigPartially(text: string, file: string): LoadedConfig {
  const limits = configLimits();
  const { doc, lineCounter } = parseYaml(text, file);
  const locator = createLocator(doc, lineCounter);
  const data = toData(doc, file, locator);
  const walk = new Walk(file, locator, limits);
  const spec = walk.document(data);
  if (!spec) throw new ConfigError(walk.issues);
  const paths = walk.documentPaths;
  return {
    spec,
    issues: walk.issues,
    locate: (path, at) => locator.locate(path, at),
    documentPath: (groupPath) => {
      const path = paths.get(groupPath);
      return path && [...path];
    },
  };
}

/** Loads a configuration, throwing a ConfigError with every problem found. */
export function loadClusterConfig(text: string, file: string): LoadedConfig {
  const loaded = loadClusterConfigPartially(text, file);
  if (loaded.issues.length > 0) throw new ConfigError(loaded.issues);
  return loaded;
}

const issueAt = (file: string, position: Position, message: string, path = ''): ConfigIssue => ({
  file,
  line: position.line,
  column: position.column,
  path,
  message,
});

/**
 * YAML text -> Document, as yaml's parseDocument does, with the nesting depth
 * checked on the concrete syntax tree (which yaml's Parser builds without
 * recursion) before the Composer, toJS and our walk recurse into it.
 */
function parseYaml(text: string, file: string): { doc: Document; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const tooDeepAt = (offset: number) =>
    new ConfigError([
      issueAt(file, position(offset), `nested more than ${MAX_YAML_DEPTH} levels deep; Kadende reads at most ${MAX_YAML_DEPTH}`),
    ]);
  // Driven lexeme by lexeme so that the parser's own stack (slow to grow very
  // deep) stops at once at a hostile depth rather than after the whole text.
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0); // as Parser.parse does
  const tokens: CST.Token[] = [];
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) tokens.push(token);
    if (parser.stack.length > MAX_YAML_DEPTH + 2) throw tooDeepAt(parser.offset);
  }
  for (const token of parser.end()) tokens.push(token);
  const deep = tooDeep(tokens);
  if (deep !== undefined) throw tooDeepAt(deep);
  let doc: Document | undefined;
  const extra: ConfigIssue[] = [];
  // yaml's own unique-keys check compares each key with every earlier one (36,000 groups took 20 s
  // before the group limit could say anything): duplicateKeys() below does it with a Set.
  for (const next of new Composer({ uniqueKeys: false }).compose(tokens, true, text.length)) {
    if (!doc) doc = next;
    else {
      extra.push(issueAt(file, position(next.range[0]), 'YAML syntax error: a configuration is one YAML document, found a second one'));
      break;
    }
  }
  const errors = [
    ...doc!.errors.map((error) =>
      issueAt(file, position(error.pos[0]), `YAML syntax error: ${error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '')}`),
    ),
    ...extra,
  ];
  if (errors.length > 0) throw new ConfigError(errors);
  const duplicates = duplicateKeys(doc!);
  if (duplicates.length > 0) throw new ConfigError(duplicates.map((offset) => issueAt(file, position(offset), 'YAML syntax error: Map keys must be unique')));
  return { doc: doc!, lineCounter };
}

/** The offsets of keys that repeat an earlier key of the same map, in linear time (scalar keys by type and value, as yaml compares them). */
function duplicateKeys(doc: Document): number[] {
  const offsets: number[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const value = pair.key.value;
        const id = `${typeof value}:${String(value)}`;
        if (seen.has(id)) offsets.push(pair.key.range?.[0] ?? 0);
        else seen.add(id);
      }
    },
  });
  return offsets;
}

/** The offset of the first collection nested deeper than MAX_YAML_DEPTH, walking the CST with a stack of our own. */
function tooDeep(tokens: CST.Token[]): number | undefined {
  const stack: Array<{ token: CST.Token; depth: number }> = tokens.map((token) => ({ token, depth: 0 }));
  while (stack.length > 0) {
    const { token, depth } = stack.pop()!;
    const children: Array<CST.Token | undefined> = [];
    let nested = depth;
    if (token.type === 'document') children.push(token.value);
    else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      nested = depth + 1;
      if (nested > MAX_YAML_DEPTH) return token.offset;
      for (const item of token.items) children.push('key' in item ? (item.key ?? undefined) : undefined, item.value);
    }
    for (const child of children) if (child) stack.push({ token: child, depth: nested });
  }
  return undefined;
}

/**
 * Document -> plain data. Aliases are where YAML turns hostile: one that names
 * no anchor, one inside the node it names (a cycle), and bombs (a few lines
 * that expand to millions of nodes, stopped by maxAliasCount) are each
 * reported where they are written.
 */
function toData(doc: Document, file: string, locator: Locator): unknown {
  const issues: ConfigIssue[] = [];
  let firstAlias: number | undefined;
  const where = (offset: number | undefined) => locator.position(offset);
  visit(doc, {
    Alias(_key, node, path) {
      firstAlias ??= node.range?.[0];
      const source = node.resolve(doc);
      if (!source) {
        issues.push(issueAt(file, where(node.range?.[0]), `alias *${node.source} names no anchor: &${node.source} must be set before it`));
      } else if (path.includes(source as never)) {
        issues.push(issueAt(file, where(node.range?.[0]), `alias *${node.source} is inside the node it names (&${node.source}): a cycle`));
      }
    },
  });
  if (issues.length > 0) throw new ConfigError(issues);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (!(error instanceof ReferenceError || error instanceof RangeError)) throw error;
    throw new ConfigError([
      issueAt(
        file,
        where(firstAlias),
        `aliases expand to too much (more than ${MAX_ALIAS_COUNT} alias expansions): write the values out, or use fewer nested aliases`,
      ),
    ]);
  }
  // Aliases can nest what the source does not; check the data too, without recursing.
  const stack: Array<{ value: unknown; path: DocumentPath }> = [{ value: data, path: [] }];
  let visited = 0;
  const nonFinite: ConfigIssue[] = [];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'number' && !Number.isFinite(value)) {
      // JSON (the store, the API) has no Infinity or NaN: they would come back as null.
      nonFinite.push(issueAt(file, locator.locate(path), `must be a finite number, got ${describeValue(value)}`, formatPath(path)));
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= MAX_YAML_DEPTH || ++visited > 1_000_000) {
      throw new ConfigError([
        issueAt(file, locator.locate(path.slice(0, 8)), `nested more than ${MAX_YAML_DEPTH} levels deep (through aliases); Kadende reads at most ${MAX_YAML_DEPTH}`, formatPath(path.slice(0, 8))),
      ]);
    }
    for (const [key, child] of Object.entries(value)) stack.push({ value: child, path: [...path, Array.isArray(value) ? Number(key) : key] });
  }
  if (nonFinite.length > 0) throw new ConfigError(nonFinite);
  return data;
}

/** Compiled once: the schemas never change. */
let validators: { header: ValidateFunction; leaf: ValidateFunction; namedLeaf: ValidateFunction; listBranch: ValidateFunction } | undefined;

function getValidators() {
  if (!validators) {
    const ajv: Ajv = createAjv();
    ajv.addFormat(PLUGIN_VERSION_FORMAT, {
      type: 'string',
      validate: (value: string) => value === DEFAULT_PLUGIN_VERSION || semver.validRange(value) !== null,
    });
    validators = {
      header: ajv.compile(ClusterHeaderSchema),
      leaf: ajv.compile(LeafSchema),
      namedLeaf: ajv.compile(NamedLeafSchema),
      listBranch: ajv.compile(ListBranchHeaderSchema),
    };
  }
  return validators;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isLeaf = (node: Record<string, unknown>) => LEAF_MARKERS.some((key) => Object.hasOwn(node, key));

const GROUP_NAME = new RegExp(GROUP_NAME_PATTERN);
const LEAF_FIELDS = Object.keys(LeafSchema.properties);
const GROUP_EXPECTED =
  'a group: a leaf (size, resourcePlugin, resourceProperties) or a mapping of named sub-groups';

/** The leaf/branch walk over `groups`, collecting issues and leaves in file order. */
class Walk {
  readonly issues: ConfigIssue[] = [];
  readonly documentPaths = new Map<string, DocumentPath>();
  private readonly leaves: LeafGroup[] = [];
  private tooManyGroups = false;

  constructor(
    private readonly file: string,
    private readonly locator: Locator,
    private readonly limits: ConfigLimits,
  ) {}

  document(data: unknown): ClusterSpec | undefined {
    if (!isObject(data)) {
      this.issue([], `must be a mapping with version, name and groups, got ${describeValue(data)}`);
      return undefined;
    }
    const headerValid = this.validate(getValidators().header, data, [], ClusterHeaderSchema);
    if (Object.hasOwn(data, 'groups')) this.groups(data.groups, ['groups'], '');
    if (!headerValid) return undefined;
    const header = data as ClusterDocument;
    return {
      ...(header.id !== undefined && { id: header.id }),
      version: header.version,
      name: header.name,
      groups: this.leaves,
    };
  }

  /** A `groups` value: a list of named groups or a mapping of them. */
  private groups(value: unknown, at: DocumentPath, prefix: string, depth = 1): void {
    if (depth > MAX_GROUP_DEPTH) {
      this.issue(at, `groups are nested more than ${MAX_GROUP_DEPTH} levels deep; Kadende allows at most ${MAX_GROUP_DEPTH}`);
      return;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) this.issue(at, 'must list at least one group, got an empty list');
      const seen = new Map<string, DocumentPath>();
      value.forEach((item, index) => this.listItem(item, [...at, index], prefix, seen, depth));
    } else if (isObject(value)) {
      const names = this.keys(value, at);
      if (names.length === 0) this.issue(at, 'must have at least one group, got an empty mapping');
      for (const name of names) this.mapNode(value[name], [...at, name], join(prefix, name), name, depth);
    } else {
      this.issue(at, `must be ${GroupsSchema.expected}, got ${describeValue(value)}`);
    }
  }

  /** Map form: a leaf, or a mapping of sub-groups. */
  private mapNode(value: unknown, at: DocumentPath, groupPath: string, name: string, depth: number): void {
    if (depth > MAX_GROUP_DEPTH) {
      this.issue(at, `groups are nested more than ${MAX_GROUP_DEPTH} levels deep; Kadende allows at most ${MAX_GROUP_DEPTH}`);
      return;
    }
    if (!GROUP_NAME.test(name)) this.issue(at, `"${name}" is not a valid group name: must be ${GROUP_NAME_EXPECTED}`, 'key');
    if (!isObject(value)) {
      // `maxSurge: 1` next to sub-groups (or with no size/resourcePlugin) is a leaf field in the wrong place.
      const hint = LEAF_FIELDS.includes(name)
        ? ` ("${name}" is a leaf field, but the group holding it has none of ${LEAF_MARKERS.join(', ')}, so it is read as a mapping of sub-groups)`
        : '';
      this.issue(at, `must be ${GROUP_EXPECTED}, got ${describeValue(value)}${hint}`);
    } else if (isLeaf(value)) {
      this.leaf(value, at, groupPath, false);
    } else {
      const names = this.keys(value, at);
      if (names.length === 0) this.issue(at, `is an empty group: give it size and resourcePlugin, or sub-groups`);
      for (const child of names) this.mapNode(value[child], [...at, child], join(groupPath, child), child, depth + 1);
    }
  }

  /** List form: `{ name, ...leaf fields }` or `{ name, groups }`. */
  private listItem(item: unknown, at: DocumentPath, prefix: string, seen: Map<string, DocumentPath>, depth: number): void {
    if (!isObject(item)) {
      this.issue(at, `must be a group with a name, got ${describeValue(item)}`);
      return;
    }
    const leaf = isLeaf(item);
    const empty = !leaf && !Object.hasOwn(item, 'groups');
    if (empty) this.issue(at, 'is an empty group: give it size and resourcePlugin, or groups');
    const { namedLeaf, listBranch } = getValidators();
    const valid = this.validate(
      leaf ? namedLeaf : listBranch,
      item,
      at,
      leaf ? NamedLeafSchema : ListBranchHeaderSchema,
      // Already said, better, just above.
      (problem) => empty && problem.path.join() === 'groups',
    );
    const name = typeof item.name === 'string' ? item.name : `[${String(at.at(-1))}]`;
    if (typeof item.name === 'string') {
      const first = seen.get(name);
      if (first) {
        const { line } = this.locator.locate([...first, 'name']);
        this.issue(
          [...at, 'name'],
          `duplicate group name "${name}" (first used at ${formatPath(first)}, line ${line}); sibling groups need unique names`,
        );
      } else seen.set(name, at);
    }
    const groupPath = join(prefix, name);
    if (leaf) {
      if (valid) this.leaf(item, at, groupPath, true);
    } else if (Object.hasOwn(item, 'groups')) {
      this.groups(item.groups, [...at, 'groups'], groupPath, depth + 1);
    }
  }

  private leaf(node: Record<string, unknown>, at: DocumentPath, groupPath: string, validated: boolean): void {
    if (!validated && !this.validate(getValidators().leaf, node, at, LeafSchema)) return;
    const leaf = node as LeafDocument;
    if (!this.withinLimits(leaf, at)) return;
    if (this.leaves.length >= MAX_GROUPS) {
      if (!this.tooManyGroups) this.issue(at, `is one group too many: a cluster has at most ${MAX_GROUPS} groups`);
      this.tooManyGroups = true;
      return;
    }
    const { name, version, url, integrity } = leaf.resourcePlugin;
    const policy: GroupPolicy = { ...DEFAULT_POLICY };
    for (const field of POLICY_FIELDS) {
      if (leaf[field] !== undefined) (policy as unknown as Record<string, unknown>)[field] = leaf[field];
    }
    this.documentPaths.set(groupPath, at);
    this.leaves.push({
      path: groupPath,
      size: leaf.size,
      plugin: {
        name,
        version: version ?? DEFAULT_PLUGIN_VERSION,
        ...(url !== undefined && { url }),
        ...(integrity !== undefined && { integrity }),
      },
      properties: (leaf.resourceProperties as Record<string, unknown> | undefined) ?? {},
      policy,
    });
  }

  /** What the schema cannot say: the operator's size limit, and finiteness whatever ajv thinks of Infinity. */
  private withinLimits(leaf: LeafDocument, at: DocumentPath): boolean {
    const { maxGroupSize } = this.limits;
    const sizeLimit = `${maxGroupSize} (the limit ${MAX_GROUP_SIZE_ENV} sets)`;
    let ok = true;
    const check = (field: string, value: unknown, max: number, what: string) => {
      if (typeof value !== 'number' || (Number.isFinite(value) && value <= max)) return;
      this.issue([...at, field], `must be ${what}, got ${describeValue(value)}`);
      ok = false;
    };
    check('size', leaf.size, maxGroupSize, `an integer from 0 to ${sizeLimit}`);
    for (const field of ['maxUnhealthy', 'maxSurge', 'maxUnavailable'] as const) {
      const what = `an integer from 0 to ${sizeLimit} or a percentage from "0%" to "100%"`;
      const value = leaf[field];
      check(field, value, maxGroupSize, what);
      if (typeof value === 'string' && Number(value.slice(0, -1)) > 100) {
        this.issue([...at, field], `must be ${what}, got ${describeValue(value)}`);
        ok = false;
      }
    }
    for (const field of ['startupTimeoutSeconds', 'orphanMinAgeSeconds'] as const) {
      check(field, leaf[field], MAX_SECONDS, `a number of seconds from 0 to ${MAX_SECONDS}`);
    }
    return ok;
  }

  private validate(
    validate: ValidateFunction,
    value: unknown,
    at: DocumentPath,
    schema: object,
    skip: (problem: FieldProblem) => boolean = () => false,
  ): boolean {
    if (validate(value)) return true;
    for (const problem of ajvProblems(validate.errors, value, schema)) {
      if (skip(problem)) continue;
      this.issue([...at, ...problem.path], problem.message, problem.atKey ? 'key' : 'value');
    }
    return false;
  }

  /** Source order, which plain objects lose for integer-like keys. */
  private keys(value: Record<string, unknown>, at: DocumentPath): string[] {
    const ordered = this.locator.keys(at)?.filter((key) => Object.hasOwn(value, key));
    return ordered && ordered.length === Object.keys(value).length ? ordered : Object.keys(value);
  }

  private issue(path: DocumentPath, message: string, anchor: Anchor = 'value'): void {
    this.issues.push({ file: this.file, ...this.locator.locate(path, anchor), path: formatPath(path), message });
  }
}

const join = (prefix: string, name: string) => (prefix ? `${prefix}/${name}` : name);
