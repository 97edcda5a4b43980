/**
 * The registry's per-plugin index document, like an npm packument:
 *   { name, "dist-tags": { latest }, versions: { "1.2.0": { tarball, integrity, contract, publishedAt, signature? } } }
 * `tarball` is relative to the registry's base URL, so a registry folder can be
 * served from any address.
 */
import { Type, type Static } from '@sinclair/typebox';
import semver from 'semver';
import type { ValidateFunction } from 'ajv';
import { createAjv, formatAjvErrors, PluginManifestSchema } from '@kadende/plugin-sdk';

export const VersionEntrySchema = Type.Object(
  {
    tarball: Type.String({ minLength: 1 }),
    integrity: Type.String({ pattern: '^sha512-[A-Za-z0-9+/]+={0,2}$' }),
    contract: Type.Integer({ minimum: 1 }),
    publishedAt: Type.String({ format: 'date-time' }),
    signature: Type.Optional(Type.String({ minLength: 1, description: 'base64 Ed25519 signature over `name@version:integrity`' })),
  },
  { additionalProperties: true },
);

export const PluginDocumentSchema = Type.Object(
  {
    name: PluginManifestSchema.properties.name,
    'dist-tags': Type.Record(Type.String(), Type.String()),
    versions: Type.Record(Type.String(), VersionEntrySchema),
  },
  { additionalProperties: true },
);

export type VersionEntry = Static<typeof VersionEntrySchema>;
export type PluginDocument = Static<typeof PluginDocumentSchema>;

/** Compiled on first use: this module loads with every command (for latestOf), most never see a registry. */
let validator: ValidateFunction | undefined;

/** Problems with a document a registry sent, empty when it is well-formed. */
export function documentProblems(value: unknown): string[] {
  const validate = (validator ??= createAjv().compile(PluginDocumentSchema));
  if (!validate(value)) return formatAjvErrors(validate.errors);
  const doc = value as PluginDocument;
  return Object.keys(doc.versions)
    .filter((v) => semver.valid(v) === null)
    .map((v) => `/versions: "${v}" is not a semver version`);
}

/** `latest`: the highest version that is not a prerelease (none when only prereleases exist). */
export function latestOf(versions: string[]): string | undefined {
  return semver.maxSatisfying(versions.filter((v) => semver.prerelease(v) === null), '*') ?? undefined;
}

export const tarballPath = (name: string, version: string) => `${name}/-/${name}-${version}.tgz`;
