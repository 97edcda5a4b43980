/**
 * The error codes a plugin may raise. A plugin names its codes
 * `<PREFIX>_ERR_<KIND>` (AWS_ERR_THROTTLED, DO_ERR_AUTH, ...): the prefix says
 * which plugin, the kind says what the host and operators can do about it.
 * The host's own codes (KADENDE_ERR_*) live in its catalogue; the one the
 * worker runtime raises on a plugin's behalf is below.
 */
export const PLUGIN_ERROR_KINDS = {
  THROTTLED: 'the provider refused the call for its rate limits; the call may be retried later',
  UNAVAILABLE: 'the provider could not be reached or answered a server error; the call may be retried',
  TIMEOUT: "the call ran out of its deadline before the provider answered",
  AUTH: 'the credentials are missing, wrong or lack a permission: an operator must fix them',
  CONFIG: 'the plugin is configured wrongly (an endpoint, a region, an environment variable)',
  VALIDATION: 'the provider refused the request as invalid (properties it does not accept)',
  NOT_FOUND: 'something the request names does not exist at the provider (an image, a network, a key)',
  CONFLICT: 'the provider holds a conflicting resource (a name already taken)',
  OPERATION: 'the provider accepted the call but its operation failed',
} as const;

export type PluginErrorKind = keyof typeof PLUGIN_ERROR_KINDS;

/** `AWS_ERR_THROTTLED`: a plugin's prefix, `_ERR_`, a kind (a kind may be refined: `AWS_ERR_IMAGE_NOT_FOUND`). */
export type PluginErrorCode<Prefix extends string = string> = `${Prefix}_ERR_${string}`;

/** The kind a plugin's code ends in, if it ends in one (`AWS_ERR_IMAGE_NOT_FOUND` -> NOT_FOUND). */
export function pluginErrorKind(code: string | undefined): PluginErrorKind | undefined {
  if (code === undefined || !code.includes('_ERR_')) return undefined;
  const tail = code.slice(code.indexOf('_ERR_') + '_ERR_'.length);
  return (Object.keys(PLUGIN_ERROR_KINDS) as PluginErrorKind[]).find((kind) => tail === kind || tail.endsWith(`_${kind}`));
}

/** Raised by the worker runtime when a plugin module does not load or does not export a plugin. */
export const PLUGIN_MODULE_ERROR = 'KADENDE_ERR_PLUGIN_MODULE';
