/**
 * In-process stand-ins for the reconciler's seams, for unit tests of the act
 * phase: a fake plugin (PluginSource + PluginCaller) over an in-memory set of
 * resources, with scripted failures and a hook that runs at every call (to look
 * at the store when the plugin is reached), and a manual clock.
 */
import { TAG_RESOURCE, type PluginMethod, type Resource } from '@kadende/plugin-sdk';
import { DEFAULT_POLICY } from '../../host/config/types.js';
import type { GroupPolicy } from '../../model/index.js';
import type { Clock, PluginCaller, PluginSource } from '../../host/controller/reconcile.js';
import type { ClusterRecord, PluginPin } from '../../model/index.js';

export interface FakeCall {
  method: PluginMethod;
  request: Record<string, unknown>;
}

export class FakePlugin implements PluginCaller, PluginSource {
  readonly resources = new Map<string, Resource>();
  readonly calls: FakeCall[] = [];
  /** Errors the next calls of a method throw, in order. */
  readonly failures: Partial<Record<PluginMethod, Error[]>> = {};
  /** Runs when a call arrives, before it has any effect. */
  onCall?: (call: FakeCall) => void | Promise<void>;

  async pool(_pin: PluginPin): Promise<PluginCaller> {
    return this;
  }

  failNext(method: PluginMethod, ...errors: Error[]): void {
    (this.failures[method] ??= []).push(...errors);
  }

  async call<T>(method: PluginMethod, request: unknown): Promise<T> {
    const call = { method, request: request as Record<string, unknown> };
    this.calls.push(call);
    await this.onCall?.(call);
    const failure = this.failures[method]?.shift();
    if (failure) throw failure;
    if (method === 'describe') {
      const tags = call.request.tags as Record<string, string>;
      const resources = [...this.resources.values()].filter((r) => Object.entries(tags).every(([k, v]) => r.tags[k] === v));
      return { resources } as T;
    }
    if (method === 'create') {
      const { token, tags } = call.request as { token: string; tags: Record<string, string> };
      const id = `res-${token}`;
      const resource = this.resources.get(id) ?? { id, status: 'active', tags, createdAt: '2026-01-01T00:00:00.000Z' };
      this.resources.set(id, resource);
      return resource as T;
    }
    this.resources.delete(call.request.id as string);
    return {} as T;
  }

  /** Resources of one record (by its `kadende.resource` tag). */
  of(recordId: string): Resource[] {
    return [...this.resources.values()].filter((r) => r.tags[TAG_RESOURCE] === recordId);
  }
}

export class ManualClock implements Clock {
  readonly slept: number[] = [];
  constructor(public ms = Date.parse('2026-01-01T00:00:00.000Z')) {}
  now(): Date {
    return new Date(this.ms);
  }
  async sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    this.ms += ms;
  }
}

export const FAKE_PIN: PluginPin = { name: 'fake', version: '1.0.0', source: 'builtin', requested: { name: 'fake', version: '1.0.0' } };

/** A stored cluster of one group `web` of `size` fake resources. */
export function fakeCluster(size: number, options: { properties?: Record<string, unknown>; policy?: Partial<GroupPolicy> } = {}): ClusterRecord {
  const properties = options.properties ?? { flavour: 'a' };
  return {
    id: 'c1',
    name: 'c1',
    generation: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    spec: {
      id: 'c1',
      name: 'c1',
      version: '1',
      groups: [{ path: 'web', size, plugin: { name: 'fake', version: '1.0.0' }, properties, policy: { ...DEFAULT_POLICY, ...options.policy } }],
    },
    source: { file: 'c1.yaml', text: '' },
    pins: { web: FAKE_PIN },
    retired: {},
  };
}
