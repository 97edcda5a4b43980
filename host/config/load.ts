/**
 * Cluster configuration: YAML (or JSON) text -> validated, flattened ClusterSpec.
 * Every problem found is collected and thrown together in one ConfigError.
 */
import { LineCounter, parseDocument } from 'yaml';
import semver from 'semver';
import type { Ajv, ValidateFunction } from 'ajv';
import { createAjv } from '@kadende/plugin-sdk';
import { ConfigError, describeValue, formatPath } from './errors.js';
import { ajvProblems, type FieldProblem } from './ajv-problems.js';
import { createLocator, type Anchor, type DocumentPath, type Locator, type Position } from './locate.js';
import { ClusterHeaderSchema, DEFAULT_PLUGIN_VERSION, GROUP_NAME_EXPECTED, GROUP_NAME_PATTERN, GroupsSchema, LEAF_MARKERS, LeafSchema, ListBranchHeaderSchema, NamedLeafSchema, PLUGIN_VERSION_FORMAT, POLICY_FIELDS, type ClusterDocument, type LeafDocument } from './schema.js';
import { DEFAULT_POLICY } from './types.js';
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
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => ({
        file,
        line: error.linePos?.[0].line ?? 1,
        column: error.linePos?.[0].col ?? 1,
        path: '',
        // yaml appends " at line L, column C:" and a source excerpt; we give the position ourselves.
        message: `YAML syntax error: ${error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '')}`,
      })),
    );
  }
  const locator = createLocator(doc, lineCounter);
  const walk = new Walk(file, locator);
  const spec = walk.document(doc.toJS());
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

  constructor(
    private readonly file: string,
    private readonly locator: Locator,
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
  private groups(value: unknown, at: DocumentPath, prefix: string): void {
    if (Array.isArray(value)) {
      if (value.length === 0) this.issue(at, 'must list at least one group, got an empty list');
      const seen = new Map<string, DocumentPath>();
      value.forEach((item, index) => this.listItem(item, [...at, index], prefix, seen));
    } else if (isObject(value)) {
      const names = this.keys(value, at);
      if (names.length === 0) this.issue(at, 'must have at least one group, got an empty mapping');
      for (const name of names) this.mapNode(value[name], [...at, name], join(prefix, name), name);
    } else {
      this.issue(at, `must be ${GroupsSchema.expected}, got ${describeValue(value)}`);
    }
  }

  /** Map form: a leaf, or a mapping of sub-groups. */
  private mapNode(value: unknown, at: DocumentPath, groupPath: string, name: string): void {
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
      for (const child of names) this.mapNode(value[child], [...at, child], join(groupPath, child), child);
    }
  }

  /** List form: `{ name, ...leaf fields }` or `{ name, groups }`. */
  private listItem(item: unknown, at: DocumentPath, prefix: string, seen: Map<string, DocumentPath>): void {
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
      this.groups(item.groups, [...at, 'groups'], groupPath);
    }
  }

  private leaf(node: Record<string, unknown>, at: DocumentPath, groupPath: string, validated: boolean): void {
    if (!validated && !this.validate(getValidators().leaf, node, at, LeafSchema)) return;
    const leaf = node as LeafDocument;
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
