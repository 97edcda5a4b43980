/** A PluginContext for calling a plugin directly in tests, as the worker runtime would. */
import type { PluginContext, Tags } from '@kadende/plugin-sdk';

export function contextFor(env: Record<string, string | undefined>, timeoutMs = 10_000): PluginContext {
  return { env, deadline: Date.now() + timeoutMs, signal: AbortSignal.timeout(timeoutMs) };
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; providerCode?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** The tags the host puts on a resource it creates (cluster, group, the create token, the spec hash). */
export function kadendeTags(cluster: string, token: string, group: string): Tags {
  return { 'kadende.cluster': cluster, 'kadende.group': group, 'kadende.resource': token, 'kadende.spec': 'spec1' };
}
