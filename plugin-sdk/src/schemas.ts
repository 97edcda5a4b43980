/**
 * The plugin contract, version 1, as JSON Schemas. These objects are the single
 * source of truth: the host validates every request and response against them,
 * and the TypeScript types below are derived from them with `Static`.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

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

export const TagsSchema = Type.Record(Type.String({ minLength: 1 }), Type.String(), {
  description: 'String tags (labels) on a resource.',
});

export const PropertiesSchema = Type.Record(Type.String(), Type.Unknown(), {
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

export type ResourceStatus = Static<typeof ResourceStatusSchema>;
export type Tags = Static<typeof TagsSchema>;
export type Properties = Static<typeof PropertiesSchema>;
export type Resource = Static<typeof ResourceSchema>;
export type DescribeRequest = Static<typeof DescribeRequestSchema>;
export type DescribeResponse = Static<typeof DescribeResponseSchema>;
export type CreateRequest = Static<typeof CreateRequestSchema>;
export type CreateResponse = Static<typeof CreateResponseSchema>;
export type DeleteRequest = Static<typeof DeleteRequestSchema>;
export type DeleteResponse = Static<typeof DeleteResponseSchema>;
export type PluginLimits = Static<typeof PluginLimitsSchema>;
export type PluginManifest = Static<typeof PluginManifestSchema>;


export const contractSchemas: Record<PluginMethod, { request: TSchema; response: TSchema }> = {
  describe: { request: DescribeRequestSchema, response: DescribeResponseSchema },
  create: { request: CreateRequestSchema, response: CreateResponseSchema },
  delete: { request: DeleteRequestSchema, response: DeleteResponseSchema },
};

export const DEFAULT_LIMITS: PluginLimits = { concurrency: 4, timeoutMs: 30_000, memoryMb: 256 };
