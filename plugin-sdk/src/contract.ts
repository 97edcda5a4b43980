/**
 * The contract checks, independent of any test runner: the vitest and
 * node:test kits (testkit.ts, testkit-node.ts) and `kadende plugin test` run
 * these same checks. Each check throws an Error saying what broke.
 */
import { randomUUID } from 'node:crypto';
import { callPluginMethod, type PluginContext, type PluginImplementation } from './define.js';
import type { Properties, Resource } from './schemas.js';
import { TAG_CLUSTER, TAG_GROUP, TAG_RESOURCE, TAG_SPEC, type PluginMethod } from './constants.js';
import { createContractValidators } from './validate.js';

export interface ContractOptions {
  name: string;
  /** The plugin (its default export). Either this or `call`. */
  plugin?: PluginImplementation;
  /** Calls a method some other way (the host calls it through a worker pool); answers are still checked here. */
  call?: (method: PluginMethod, request: unknown) => Promise<unknown>;
  /** The group's resourceProperties; called once per run (after setup hooks ran). */
  properties: () => Properties | Promise<Properties>;
  /** The environment the plugin sees (its declared env). */
  env?: Record<string, string | undefined>;
  /** Per-call deadline given to the plugin. */
  timeoutMs?: number;
  /** A provider id that certainly does not exist, for the delete-of-missing check. */
  missingId?: string;
}

export interface ContractCheck {
  name: string;
  run(): Promise<void>;
}

export interface ContractSuite {
  /** The suite's title: `<name> plugin contract`. */
  title: string;
  checks: ContractCheck[];
  /** Deletes whatever the checks created and left behind. */
  cleanup(): Promise<void>;
}

const GONE = new Set(['terminating', 'terminated']);

export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

const show = (value: unknown) => JSON.stringify(value);
function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ContractViolation(message);
}
const hasTags = (resource: Resource, tags: Record<string, string>) => Object.entries(tags).every(([k, v]) => resource.tags?.[k] === v);

export function contractSuite(options: ContractOptions): ContractSuite {
  if (!options.plugin && !options.call) throw new TypeError('contractSuite: give `plugin` or `call`');
  const validators = createContractValidators();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const direct = async (method: PluginMethod, request: unknown): Promise<unknown> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const context: PluginContext = { env: options.env ?? {}, deadline: Date.now() + timeoutMs, signal: controller.signal };
    try {
      return await callPluginMethod(options.plugin!, method, request, context);
    } finally {
      clearTimeout(timer);
    }
  };
  const invoke = options.call ?? direct;
  const call = async (method: PluginMethod, request: unknown): Promise<unknown> => {
    const requestProblems = validators.request(method, request);
    check(requestProblems.length === 0, `the test kit built an invalid ${method} request: ${requestProblems.join('; ')}`);
    const answer = await invoke(method, request);
    const problems = validators.response(method, answer);
    check(problems.length === 0, `${options.name}.${method} answer breaks the contract: ${problems.join('; ')} (answer: ${show(answer)})`);
    return answer;
  };
  const cluster = `contract-${randomUUID().slice(0, 8)}`;
  const group = 'contract/group';
  const tagsFor = (token: string) => ({ [TAG_CLUSTER]: cluster, [TAG_GROUP]: group, [TAG_RESOURCE]: token, [TAG_SPEC]: 'contract0' });
  let properties: Properties | undefined;
  const props = async () => (properties ??= await options.properties());
  const live = async (tags: Record<string, string>): Promise<Resource[]> =>
    ((await call('describe', { tags, properties: await props() })) as { resources: Resource[] }).resources.filter((r) => !GONE.has(r.status));
  const made: Resource[] = [];
  const create = async (token: string): Promise<Resource> => {
    const created = (await call('create', { properties: await props(), tags: tagsFor(token), token })) as Resource;
    made.push(created);
    return created;
  };

  const checks: ContractCheck[] = [
    {
      name: 'describe answers an empty list for tags nothing carries',
      async run() {
        const found = await live({ [TAG_CLUSTER]: `${cluster}-none` });
        check(found.length === 0, `describe of tags nothing carries answered ${show(found)}`);
      },
    },
    {
      name: 'create returns the resource carrying the tags, and describe finds it by tags',
      async run() {
        const token = randomUUID();
        const created = await create(token);
        check(hasTags(created, tagsFor(token)), `create answered a resource without the tags it was given: ${show(created.tags)}, wanted ${show(tagsFor(token))}`);
        const found = await live({ [TAG_CLUSTER]: cluster, [TAG_RESOURCE]: token });
        check(found.length === 1 && found[0]!.id === created.id, `describe by tags found ${show(found.map((r) => r.id))}, wanted [${show(created.id)}]`);
        check(hasTags(found[0]!, tagsFor(token)), `describe answered the resource without its tags: ${show(found[0]!.tags)}`);
      },
    },
    {
      name: 'create is idempotent on its token',
      async run() {
        const token = randomUUID();
        const first = await create(token);
        const second = await create(token);
        check(second.id === first.id, `a second create with the same token made ${show(second.id)}, the first made ${show(first.id)}`);
        const found = await live({ [TAG_RESOURCE]: token, [TAG_CLUSTER]: cluster });
        check(found.length === 1, `after two creates with one token describe found ${found.length} resources`);
      },
    },
    {
      name: 'describe matches all the given tags, not any',
      async run() {
        const token = randomUUID();
        await create(token);
        const found = await live({ [TAG_CLUSTER]: cluster, [TAG_RESOURCE]: token, [TAG_GROUP]: 'another/group' });
        check(found.length === 0, `describe matched a resource on some of the tags only: ${show(found.map((r) => r.id))}`);
      },
    },
    {
      name: 'delete removes the resource, and deleting it again succeeds',
      async run() {
        const token = randomUUID();
        const created = (await call('create', { properties: await props(), tags: tagsFor(token), token })) as Resource;
        await call('delete', { id: created.id, properties: await props() });
        const found = await live({ [TAG_RESOURCE]: token, [TAG_CLUSTER]: cluster });
        check(found.length === 0, `describe still finds ${show(found.map((r) => r.id))} after delete`);
        await call('delete', { id: created.id, properties: await props() });
      },
    },
    {
      name: 'deleting an id that never existed succeeds',
      async run() {
        await call('delete', { id: options.missingId ?? `missing-${randomUUID()}`, properties: await props() });
      },
    },
  ];
  return {
    title: `${options.name} plugin contract`,
    checks,
    async cleanup() {
      for (const resource of made.splice(0)) await call('delete', { id: resource.id, properties: await props() }).catch(() => {});
    },
  };
}
