/**
 * A contract test kit for plugin authors. In a vitest suite:
 *
 *   import { describeContract } from '@kadende/plugin-sdk/testkit';
 *   describeContract({ name: 'my-plugin', plugin, properties: () => ({ directory: tmp }) });
 *
 * It checks every answer against the contract's JSON Schemas, and the behaviour
 * the host relies on: create tags what it makes, describe finds by tags, create
 * is idempotent on its token, delete works and deleting a missing id succeeds.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { callPluginMethod, type PluginContext, type PluginImplementation } from './define.js';
import type { Properties, Resource } from './schemas.js';
import { TAG_CLUSTER, TAG_GROUP, TAG_RESOURCE, TAG_SPEC, type PluginMethod } from './constants.js';
import { createContractValidators } from './validate.js';

export interface ContractOptions {
  name: string;
  plugin: PluginImplementation;
  /** The group's resourceProperties; called once per test run (after setup hooks ran). */
  properties: () => Properties | Promise<Properties>;
  /** The environment the plugin sees (its declared env). */
  env?: Record<string, string | undefined>;
  /** Per-call deadline given to the plugin. */
  timeoutMs?: number;
  /** A provider id that certainly does not exist, for the delete-of-missing test. */
  missingId?: string;
}

const GONE = new Set(['terminating', 'terminated']);

export function describeContract(options: ContractOptions): void {
  const validators = createContractValidators();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const call = async (method: PluginMethod, request: unknown): Promise<unknown> => {
    expect(validators.request(method, request), `${method} request`).toEqual([]);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const context: PluginContext = { env: options.env ?? {}, deadline: Date.now() + timeoutMs, signal: controller.signal };
    try {
      const answer = await callPluginMethod(options.plugin, method, request, context);
      expect(validators.response(method, answer), `${options.name}.${method} answer breaks the contract`).toEqual([]);
      return answer;
    } finally {
      clearTimeout(timer);
    }
  };
  const cluster = `contract-${randomUUID().slice(0, 8)}`;
  const group = 'contract/group';
  const tagsFor = (token: string) => ({
    [TAG_CLUSTER]: cluster,
    [TAG_GROUP]: group,
    [TAG_RESOURCE]: token,
    [TAG_SPEC]: 'contract0',
  });
  const live = async (tags: Record<string, string>): Promise<Resource[]> =>
    ((await call('describe', { tags, properties: await props() })) as { resources: Resource[] }).resources.filter((r) => !GONE.has(r.status));
  const made: Resource[] = [];
  let properties: Properties | undefined;
  const props = async () => (properties ??= await options.properties());

  describe(`${options.name} plugin contract`, () => {
    afterAll(async () => {
      for (const resource of made) await call('delete', { id: resource.id, properties: await props() }).catch(() => {});
    });

    it('describe answers an empty list for tags nothing carries', async () => {
      expect(await live({ [TAG_CLUSTER]: `${cluster}-none` })).toEqual([]);
    });

    it('create returns the resource carrying the tags, and describe finds it by tags', async () => {
      const token = randomUUID();
      const created = (await call('create', { properties: await props(), tags: tagsFor(token), token })) as Resource;
      made.push(created);
      expect(created.tags).toMatchObject(tagsFor(token));
      const found = await live({ [TAG_CLUSTER]: cluster, [TAG_RESOURCE]: token });
      expect(found.map((r) => r.id)).toEqual([created.id]);
      expect(found[0]!.tags).toMatchObject(tagsFor(token));
    });

    it('create is idempotent on its token', async () => {
      const token = randomUUID();
      const request = { properties: await props(), tags: tagsFor(token), token };
      const first = (await call('create', request)) as Resource;
      made.push(first);
      const second = (await call('create', request)) as Resource;
      expect(second.id).toBe(first.id);
      expect((await live({ [TAG_RESOURCE]: token, [TAG_CLUSTER]: cluster })).length).toBe(1);
    });

    it('describe matches all the given tags, not any', async () => {
      const token = randomUUID();
      const created = (await call('create', { properties: await props(), tags: tagsFor(token), token })) as Resource;
      made.push(created);
      expect(await live({ [TAG_CLUSTER]: cluster, [TAG_RESOURCE]: token, [TAG_GROUP]: 'another/group' })).toEqual([]);
    });

    it('delete removes the resource, and deleting it again succeeds', async () => {
      const token = randomUUID();
      const created = (await call('create', { properties: await props(), tags: tagsFor(token), token })) as Resource;
      await call('delete', { id: created.id, properties: await props() });
      expect(await live({ [TAG_RESOURCE]: token, [TAG_CLUSTER]: cluster })).toEqual([]);
      await call('delete', { id: created.id, properties: await props() });
    });

    it('deleting an id that never existed succeeds', async () => {
      await call('delete', { id: options.missingId ?? `missing-${randomUUID()}`, properties: await props() });
    });
  });
}
