/**
 * DigitalOcean API clients built only from the env the manifest declares
 * (context.env): DIGITALOCEAN_TOKEN, and KADENDE_DIGITALOCEAN_ENDPOINT for
 * another endpoint (tests, compatible APIs; it must end in /v2). A client is
 * made per call because dots-wrapper fixes its request timeout at creation and
 * the timeout must be what is left of this call's deadline; Node's global
 * agent keeps connections alive across them.
 */
import { createApiClient } from 'dots-wrapper';
import type { PluginContext } from '@kadende/plugin-sdk';
import { DoPluginError } from './errors.js';

export type DoApi = ReturnType<typeof createApiClient>;

/** A client whose requests give up after `timeoutMs` (default: what is left of the call). */
export function apiFor(context: PluginContext, timeoutMs = context.deadline - Date.now()): DoApi {
  const token = context.env.DIGITALOCEAN_TOKEN;
  if (!token) throw new DoPluginError('DO_ERR_AUTH', 'No DigitalOcean token: set DIGITALOCEAN_TOKEN');
  const endpoint = context.env.KADENDE_DIGITALOCEAN_ENDPOINT || undefined;
  return createApiClient({ token, endpoint, requestTimeoutInMs: Math.max(1, timeoutMs) });
}
