/**
 * The cluster configuration file, as written: its JSON Schema (TypeBox) and the
 * matching raw types. load.ts validates with the pieces (header, leaf, list item)
 * rather than the whole recursive schema, so that errors name one field each
 * instead of every branch of an anyOf; ClusterDocumentSchema composes the same
 * pieces for editors and tooling.
 *
 * `expected` is our own annotation (ajv runs with strict: false): the phrase an
 * error uses for what the field should be.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { MAX_TEXT_LENGTH } from './limits.js';

export const DEFAULT_PLUGIN_VERSION = 'latest';

/** ajv format for resourcePlugin.version, registered in load.ts (it needs semver). */
export const PLUGIN_VERSION_FORMAT = 'kadende-plugin-version';

export const ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$';
/** A group name is one path segment, hence no '/'. */
export const GROUP_NAME_PATTERN = NAME_PATTERN;
export const GROUP_NAME_EXPECTED =
  "a group name: 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit";

/** The fields that make a node a leaf; any other node is a map of sub-groups. */
export const LEAF_MARKERS = ['size', 'resourcePlugin', 'resourceProperties'] as const;

const GroupName = Type.String({ pattern: GROUP_NAME_PATTERN, expected: GROUP_NAME_EXPECTED });

/** A count, or a share of the group's size. */
// Upper bounds (the operator's KADENDE_MAX_GROUP_SIZE, 100%, MAX_SECONDS) and finiteness (ajv takes Infinity
// for an integer) are checked by the loader once these pass, with a message that names the limit.
const Quantity = Type.Union(
  [Type.Integer({ minimum: 0 }), Type.String({ pattern: '^(0|[1-9][0-9]*)%$' })],
  { expected: 'an integer >= 0 or a percentage such as "25%"' },
);
const Seconds = Type.Number({ minimum: 0, expected: 'a number of seconds >= 0' });

/** What a plugin's manifest name may be (plugin-sdk's manifest schema), in either case: names match case-insensitively. */
export const PLUGIN_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,213}$';
/** Free text (a version, a description): no control characters, not a megabyte. */
const TEXT_PATTERN = '^[^\\u0000-\\u001f\\u007f]*$';

export const ResourcePluginSchema = Type.Object(
  {
    // The manifest's name pattern, in either case; the expected text stays short: most mistakes are a missing name.
    name: Type.String({ pattern: PLUGIN_NAME_PATTERN, expected: 'a plugin name, e.g. aws' }),
    version: Type.Optional(
      Type.String({
        format: PLUGIN_VERSION_FORMAT,
        maxLength: 256,
        default: DEFAULT_PLUGIN_VERSION,
        expected: 'a version: "latest", an exact version such as "1.2.0" or a range such as "^1.2"',
      }),
    ),
    url: Type.Optional(
      Type.String({ format: 'uri', pattern: '^(https?|file):', maxLength: 2048, expected: 'an http, https or file URL of at most 2048 characters' }),
    ),
    integrity: Type.Optional(
      // A SHA-512 digest is 64 bytes: 88 base64 characters, the last two '=='.
      Type.String({ pattern: '^sha512-[A-Za-z0-9+/]{86}==$', expected: 'sha512-<base64 of a SHA-512 digest>' }),
    ),
  },
  { additionalProperties: false, expected: 'a mapping with name and optionally version, url, integrity' },
);

/** Leaf fields, shared by the map form and the list form (which adds `name`). */
const leafFields = {
  size: Type.Integer({ minimum: 0, expected: 'an integer >= 0' }),
  resourcePlugin: ResourcePluginSchema,
  resourceProperties: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), { default: {}, expected: "a mapping of the plugin's properties" }),
  ),
  maxUnhealthy: Type.Optional(Quantity),
  maxSurge: Type.Optional(Quantity),
  maxUnavailable: Type.Optional(Quantity),
  startupTimeoutSeconds: Type.Optional(Seconds),
  orphanMinAgeSeconds: Type.Optional(Seconds),
  maxInFlight: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, expected: 'an integer from 1 to 100000: the most plugin calls of this group at once' })),
};

export const POLICY_FIELDS = [
  'maxUnhealthy',
  'maxSurge',
  'maxUnavailable',
  'startupTimeoutSeconds',
  'orphanMinAgeSeconds',
  'maxInFlight',
] as const;

export const LeafSchema = Type.Object(leafFields, { additionalProperties: false });
export const NamedLeafSchema = Type.Object({ name: GroupName, ...leafFields }, { additionalProperties: false });

/** In JSON Schema terms: a map node is a branch when it has none of the leaf markers. */
const notLeaf = { not: { anyOf: LEAF_MARKERS.map((key) => ({ required: [key] })) } };

/** Map form: `group2: { sub-group1: {...}, sub-group2: {...} }`, to any depth. */
export const MapGroupSchema = Type.Recursive(
  (Self) =>
    Type.Union([
      LeafSchema,
      Type.Record(Type.String({ pattern: GROUP_NAME_PATTERN }), Self, { minProperties: 1, ...notLeaf }),
    ]),
  { $id: 'KadendeMapGroup' },
);
// Referenced rather than embedded: it appears at two places, and one $id embedded twice is ambiguous to ajv.
const MapGroupRef = Type.Unsafe<Static<typeof MapGroupSchema>>(Type.Ref(MapGroupSchema.$id!));
export const GroupMapSchema = Type.Record(Type.String({ pattern: GROUP_NAME_PATTERN }), MapGroupRef, {
  minProperties: 1,
});

/** List form: `- name: group2\n  groups: [...]` (the inner groups may be a list or a map). */
export const ListGroupSchema = Type.Recursive(
  (Self) =>
    Type.Union([
      NamedLeafSchema,
      Type.Object(
        { name: GroupName, groups: Type.Union([Type.Array(Self, { minItems: 1 }), GroupMapSchema]) },
        { additionalProperties: false },
      ),
    ]),
  { $id: 'KadendeListGroup' },
);

export const GroupsSchema = Type.Union([Type.Array(ListGroupSchema, { minItems: 1 }), GroupMapSchema], {
  expected: 'a mapping of named groups or a list of groups, with at least one group',
});

const headerFields = {
  id: Type.Optional(
    Type.String({
      pattern: ID_PATTERN,
      expected: "an id: 1-63 lowercase letters, digits or '-', starting with a letter or digit",
    }),
  ),
  version: Type.String({
    minLength: 1,
    maxLength: 64,
    pattern: TEXT_PATTERN,
    expected: 'a version string of at most 64 characters without control characters, e.g. "0.0.1"',
  }),
  name: Type.String({
    pattern: NAME_PATTERN,
    expected: "a cluster name: 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit",
  }),
  description: Type.Optional(
    Type.String({ maxLength: MAX_TEXT_LENGTH, pattern: TEXT_PATTERN, expected: `a string of at most ${MAX_TEXT_LENGTH} characters without control characters` }),
  ),
};

export const ClusterDocumentSchema = Type.Object(
  { ...headerFields, groups: GroupsSchema },
  {
    additionalProperties: false,
    $id: 'KadendeClusterConfig',
    title: 'Kadende cluster configuration',
    $defs: { [MapGroupSchema.$id!]: MapGroupSchema },
  },
);

/** The top level with `groups` left to the leaf/branch walk in load.ts. */
export const ClusterHeaderSchema = Type.Object(
  { ...headerFields, groups: Type.Unknown({ expected: GroupsSchema.expected }) },
  { additionalProperties: false },
);

/** A list item that is a branch, with its `groups` left to the walk. */
export const ListBranchHeaderSchema = Type.Object(
  { name: GroupName, groups: Type.Unknown({ expected: GroupsSchema.expected }) },
  { additionalProperties: false },
);

export type ClusterDocument = Static<typeof ClusterDocumentSchema>;
export type ResourcePluginDocument = Static<typeof ResourcePluginSchema>;
export type LeafDocument = Static<typeof LeafSchema>;
export type NamedLeafDocument = Static<typeof NamedLeafSchema>;
export type MapGroupDocument = Static<typeof MapGroupSchema>;
export type ListGroupDocument = Static<typeof ListGroupSchema>;
export type GroupsDocument = Static<typeof GroupsSchema>;

/** Reads our `expected` annotation off a schema node. */
export function expectedOf(schema: unknown): string | undefined {
  const value = (schema as TSchema | undefined)?.expected;
  return typeof value === 'string' ? value : undefined;
}
