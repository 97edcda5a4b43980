/** A PluginContext for calling a plugin directly in tests, as the worker runtime would. */
import type { PluginContext } from '@kadende/plugin-sdk';

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
