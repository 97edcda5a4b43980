import { kadendeError } from '../../errors/index.js';
/**
 * The bounds a configuration must stay within, so that nothing the planner or
 * the store cannot handle (Infinity, a size of a billion, a YAML bomb, nesting
 * that overflows the stack) gets past the loader. README ("Limits") documents them.
 */

/** Nesting of YAML collections (groups, sub-groups, resourceProperties), checked before anything recurses. */
export const MAX_YAML_DEPTH = 64;
/** Nesting of sub-groups under `groups`. */
export const MAX_GROUP_DEPTH = 16;
/** yaml's `maxAliasCount`: alias expansions allowed (its default, made explicit). */
export const MAX_ALIAS_COUNT = 100;
/** The ceiling KADENDE_MAX_GROUP_SIZE may be raised to. */
export const HARD_MAX_GROUP_SIZE = 1_000_000;
export const DEFAULT_MAX_GROUP_SIZE = 10_000;
/** startupTimeoutSeconds and orphanMinAgeSeconds: at most one year. */
export const MAX_SECONDS = 31_536_000;
/** Leaf groups in one cluster. */
export const MAX_GROUPS = 1_000;
/** Longest string field the header allows (version, description). */
export const MAX_TEXT_LENGTH = 1_024;

export const MAX_GROUP_SIZE_ENV = 'KADENDE_MAX_GROUP_SIZE';

export interface ConfigLimits {
  /** Largest `size`, and largest count for maxUnhealthy, maxSurge, maxUnavailable. */
  maxGroupSize: number;
}

/** Read on every load, so that a test or an operator can change it without a restart of the module. */
export function configLimits(env: NodeJS.ProcessEnv = process.env): ConfigLimits {
  const raw = env[MAX_GROUP_SIZE_ENV];
  if (raw === undefined || raw === '') return { maxGroupSize: DEFAULT_MAX_GROUP_SIZE };
  const value = /^[1-9][0-9]*$/.test(raw) ? Number(raw) : NaN;
  if (!(value <= HARD_MAX_GROUP_SIZE)) {
    throw kadendeError('KADENDE_ERR_ENV_INVALID', MAX_GROUP_SIZE_ENV, raw, `an integer from 1 to ${HARD_MAX_GROUP_SIZE}`);
  }
  return { maxGroupSize: value };
}
