/**
 * The plugin contract, version 1, as JSON Schemas. These objects are the single
 * source of truth: the host validates every request and response against them,
 * and the TypeScript types below are derived from them with `Static`.
 */
import { Type, type Static, type TSchema } from './vendor.js';

import { CONTRACT_VERSION, type PluginMethod } from './constants.js';

export * from './constants.js';

export const ResourceStatusSchema = Type.Union(
  [
    Type.Literal('pending'),
    Type.Literal('active'),
    Type.Literal('unhealthy'),
    Type.Literal('terminating'),
    Type.Literal('terminated'),
  ],
  { description: 'Lifecycle state of a resource as the provider reports it.' },
);

/*
 * Maps written as `additionalProperties`, not TypeBox's Record: Record compiles to a
 * `^(.*)$` patternProperties that ajv runs on every key: more than half of the host's check of a
 * 100-resource describe (25 -> 11 us a call), for the same meaning. Tag names are not
 * constrained on the wire: the host's own are never empty, and a provider's extra tags are its own.
 */
export const TagsSchema = Type.Unsafe<Record<string, string>>({
  type: 'object',
  additionalProperties: { type: 'string' },
  description: 'String tags (labels) on a resource.',
});

export const PropertiesSchema = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  description: "The group's resourceProperties, already validated against the plugin's propertiesSchema.",
});

export const ResourceSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, description: "The provider's identifier (an instance id, a file name, ...)." }),
    status: ResourceStatusSchema,
    tags: TagsSchema,
    createdAt: Type.Optional(Type.String({ format: 'date-time', description: "The provider's creation time." })),
    properties: Type.Optional(PropertiesSchema),
    address: Type.Optional(Type.String({ description: 'Where the resource can be reached (an IP, a path, ...).' })),
  },
  { additionalProperties: false },
);

export const DescribeRequestSchema = Type.Object(
  {
    tags: TagsSchema,
    // The group's properties say where to look (a region, a zone, a directory).
    properties: PropertiesSchema,
  },
  { additionalProperties: false, description: 'Every resource carrying all these tags.' },
);
export const DescribeResponseSchema = Type.Object(
  { resources: Type.Array(ResourceSchema) },
  { additionalProperties: false },
);

export const CreateRequestSchema = Type.Object(
  {
    properties: PropertiesSchema,
    tags: TagsSchema,
    token: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'Idempotency key: a retried create with the same token must not make a second resource.',
    }),
  },
  { additionalProperties: false },
);
export const CreateResponseSchema = ResourceSchema;

export const DeleteRequestSchema = Type.Object(
  { id: Type.String({ minLength: 1 }), properties: PropertiesSchema },
  { additionalProperties: false, description: 'Deleting what is already gone succeeds.' },
);
export const DeleteResponseSchema = Type.Object({}, { additionalProperties: false });

export const PluginLimitsSchema = Type.Object(
  {
    concurrency: Type.Integer({ minimum: 1, maximum: 1024, default: 4, description: 'Calls in flight at once.' }),
    timeoutMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 30_000, description: 'Per-call timeout.' }),
    memoryMb: Type.Integer({ minimum: 16, maximum: 16_384, default: 256, description: 'Worker heap limit.' }),
  },
  { additionalProperties: false },
);

/** What the provider allows in a tag; the host refuses at apply a group whose tags would not fit. */
export const TagLimitsSchema = Type.Object(
  {
    maxKeyLength: Type.Optional(Type.Integer({ minimum: 1, description: 'Characters in a tag key, as given.' })),
    maxValueLength: Type.Optional(Type.Integer({ minimum: 1, description: 'Characters in a tag value, as given.' })),
    maxTagLength: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: "Characters in one tag written as escapeTagText(key) + ':' + escapeTagText(value) (providers whose tags are one string).",
      }),
    ),
  },
  { additionalProperties: false },
);

/** The `kadende` field of a plugin's package.json. */
export const PluginManifestSchema = Type.Object(
  {
    name: Type.String({
      pattern: '^[a-z0-9][a-z0-9._-]{0,213}$',
      description: 'Lower-case plugin name; configurations match it case-insensitively.',
    }),
    version: Type.String({
      // semver 2.0.0, from semver.org
      pattern:
        '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$',
      description: 'A semver version.',
    }),
    contract: Type.Literal(CONTRACT_VERSION),
    main: Type.String({ minLength: 1, description: "The plugin's ES module, relative to its folder." }),
    description: Type.Optional(Type.String()),
    propertiesSchema: Type.Object({}, { additionalProperties: true, description: "JSON Schema of a group's resourceProperties." }),
    env: Type.Array(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), {
      default: [],
      uniqueItems: true,
      description: 'The only environment variables its workers see.',
    }),
    limits: Type.Optional(Type.Partial(PluginLimitsSchema)),
    listingGraceMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 86_400_000,
        description:
          "How long a resource the plugin created may still be missing from describe (its provider's listing consistency): the host waits this long before it counts a never-seen resource as lost, and before it forgets a deleted cluster.",
      }),
    ),
    tagLimits: Type.Optional(TagLimitsSchema),
    folders: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        uniqueItems: true,
        description:
          "Names of resourceProperties that hold a folder the plugin reads and writes (the file plugin's `directory`): the host grants its sandbox that folder, and no other of the host's files.",
      }),
    ),
  },
  { additionalProperties: false },
);

// The contract's types, written out (not derived with `Static`) so that the
// published type declarations need no typebox; `TypesMatch` below fails to
// compile if they ever drift from the schemas.
export type ResourceStatus = 'pending' | 'active' | 'unhealthy' | 'terminating' | 'terminated';
/** String tags (labels) on a resource. */
export type Tags = Record<string, string>;
/** The group's resourceProperties, already validated against the plugin's propertiesSchema. */
export type Properties = Record<string, unknown>;
export interface Resource {
  /** The provider's identifier (an instance id, a file name, ...). */
  id: string;
  status: ResourceStatus;
  tags: Tags;
  /** The provider's creation time (ISO 8601). */
  createdAt?: string;
  properties?: Properties;
  /** Where the resource can be reached (an IP, a path, ...). */
  address?: string;
}
/** Every resource carrying all these tags; the properties say where to look. */
export interface DescribeRequest {
  tags: Tags;
  properties: Properties;
}
export interface DescribeResponse {
  resources: Resource[];
}
export interface CreateRequest {
  properties: Properties;
  tags: Tags;
  /** Idempotency key: a retried create with the same token must not make a second resource. */
  token: string;
}
export type CreateResponse = Resource;
/** Deleting what is already gone succeeds. */
export interface DeleteRequest {
  id: string;
  properties: Properties;
}
export type DeleteResponse = Record<string, never>;
export interface PluginLimits {
  /** Calls in flight at once. */
  concurrency: number;
  /** Per-call timeout. */
  timeoutMs: number;
  /** Worker heap limit. */
  memoryMb: number;
}
/** The `kadende` field of a plugin's package.json. */
export interface PluginManifest {
  name: string;
  version: string;
  contract: typeof CONTRACT_VERSION;
  main: string;
  description?: string;
  propertiesSchema: Record<string, unknown>;
  env: string[];
  limits?: Partial<PluginLimits>;
  /** How long a created resource may still be missing from describe (the provider's listing consistency). */
  listingGraceMs?: number;
  /** Names of resourceProperties holding a folder the plugin's sandbox may read and write. */
  folders?: string[];
  tagLimits?: TagLimits;
}
/** The provider's limits on tags, checked at apply against the tags the host puts on every resource. */
export interface TagLimits {
  /** Characters in a tag key, as given. */
  maxKeyLength?: number;
  /** Characters in a tag value, as given. */
  maxValueLength?: number;
  /** Characters in one tag written as escapeTagText(key) + ':' + escapeTagText(value). */
  maxTagLength?: number;
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type TypesMatch = [
  Same<ResourceStatus, Static<typeof ResourceStatusSchema>>,
  Same<Resource, Static<typeof ResourceSchema>>,
  Same<DescribeRequest, Static<typeof DescribeRequestSchema>>,
  Same<DescribeResponse, Static<typeof DescribeResponseSchema>>,
  Same<CreateRequest, Static<typeof CreateRequestSchema>>,
  Same<DeleteRequest, Static<typeof DeleteRequestSchema>>,
  Same<PluginLimits, Static<typeof PluginLimitsSchema>>,
  Same<TagLimits, Static<typeof TagLimitsSchema>>,
  Same<Omit<PluginManifest, 'propertiesSchema'>, Omit<Static<typeof PluginManifestSchema>, 'propertiesSchema'>>,
];
const typesMatch: TypesMatch = [true, true, true, true, true, true, true, true, true];
void typesMatch;

export const contractSchemas: Record<PluginMethod, { request: TSchema; response: TSchema }> = {
  describe: { request: DescribeRequestSchema, response: DescribeResponseSchema },
  create: { request: CreateRequestSchema, response: CreateResponseSchema },
  delete: { request: DeleteRequestSchema, response: DeleteResponseSchema },
};

export const DEFAULT_LIMITS: PluginLimits = { concurrency: 4, timeoutMs: 30_000, memoryMb: 256 };
