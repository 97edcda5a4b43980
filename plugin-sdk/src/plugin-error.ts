/**
 * The shape of every error a plugin throws on purpose: a stable `code` the
 * host and operators can match on (the worker runtime carries `name`, `code`
 * and `message` to the host), the provider's own message, and the provider's
 * error code or reason as `providerCode` so nothing the provider said is lost.
 * Each plugin subclasses it with its own code union and name.
 */
export class PluginError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly providerCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
