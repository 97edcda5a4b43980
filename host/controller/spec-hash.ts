import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { PluginPin } from '../../model/index.js';

/**
 * The `kadende.spec` tag: a hash of the plugin version and the group's
 * resourceProperties. A resource whose tag differs from its group's is outdated.
 * Key order does not matter; 16 hex digits fit every provider's tag rules.
 */
export function specHash(pin: PluginPin, properties: Record<string, unknown>): string {
  return createHash('sha256')
    .update(stringify({ plugin: pin.name, version: pin.version, properties }) ?? '')
    .digest('hex')
    .slice(0, 16);
}
