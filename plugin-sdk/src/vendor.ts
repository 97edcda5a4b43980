/**
 * The SDK's third-party code, in one module. The build (scripts/vendor.mjs)
 * replaces the compiled dist/vendor.js with an esbuild bundle of it, so the
 * published package has no runtime dependencies: it installs offline, and a
 * plugin that bundles only definePlugin never pulls these in.
 */
export { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
export { Type, type Static, type TSchema } from '@sinclair/typebox';

// ajv-formats is CommonJS; its callable sits on `default` when imported from ESM.
export const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: import('ajv').Ajv) => import('ajv').Ajv;
