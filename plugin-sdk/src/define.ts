import type {
  CreateRequest,
  CreateResponse,
  DeleteRequest,
  DeleteResponse,
  DescribeRequest,
  DescribeResponse,
} from './schemas.js';
import { PLUGIN_METHODS, type PluginMethod } from './constants.js';

/** What a plugin method gets besides its request. */
export interface PluginContext {
  /** The worker's environment: only the names the manifest declares under `env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Epoch milliseconds at which the host gives up on this call and terminates the worker. */
  readonly deadline: number;
  /** Fires at the deadline: pass it to HTTP clients so retries stop in time. */
  readonly signal: AbortSignal;
  /**
   * The host retries throttled calls itself, under the calls-in-flight limit it adapts per
   * provider account: withRetry then hands a throttled answer back at once instead of retrying it.
   */
  readonly throttleToHost?: boolean;
}

export interface PluginImplementation {
  describe(request: DescribeRequest, context: PluginContext): Promise<DescribeResponse>;
  create(request: CreateRequest, context: PluginContext): Promise<CreateResponse>;
  delete(request: DeleteRequest, context: PluginContext): Promise<DeleteResponse | void>;
}

const PLUGIN_BRAND = Symbol.for('kadende.plugin');

export type DefinedPlugin = PluginImplementation & { readonly [PLUGIN_BRAND]: 1 };

/**
 * Declares a resource plugin. The module's default export must be the result:
 *
 *   export default definePlugin({ async describe(req) {...}, async create(req) {...}, async delete(req) {...} });
 */
export function definePlugin(implementation: PluginImplementation): DefinedPlugin {
  const missing = PLUGIN_METHODS.filter((m) => typeof (implementation as unknown as Record<string, unknown>)?.[m] !== 'function');
  if (missing.length > 0) {
    throw new TypeError(`definePlugin: missing method(s) ${missing.join(', ')}; a plugin implements describe, create and delete`);
  }
  return Object.freeze({ ...implementation, [PLUGIN_BRAND]: 1 as const });
}

export function isDefinedPlugin(value: unknown): value is DefinedPlugin {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === 1;
}

export async function callPluginMethod(
  plugin: PluginImplementation,
  method: PluginMethod,
  request: unknown,
  context: PluginContext,
): Promise<unknown> {
  const value = await (plugin[method] as (r: unknown, c: PluginContext) => Promise<unknown>).call(plugin, request, context);
  // `delete` may resolve to nothing: the contract's answer is then `{}`.
  return method === 'delete' && value === undefined ? {} : value;
}
