// The three cloud plugins end to end: the real `kadende` CLI (spawned, its own
// LevelDB store in a temp folder) runs the bundled aws, gcp (spelled `gcd`) and
// digitalocean (spelled `digitalOcean`) plugins in its worker pools against
// the three fake clouds. The faults are a person deleting instances in the
// cloud's console, throttling storms and create answers lost on the wire; the
// proof is what the fake clouds hold afterwards.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeEc2, type FakeEc2 } from './fake-clouds/aws.js';
import { startFakeGce, type FakeGce } from './fake-clouds/gcp.js';
import { startFakeDigitalOcean, type FakeDigitalOcean } from './fake-clouds/digitalocean.js';
import type { FakeCloudBase } from './fake-clouds/common.js';
import { digitalOceanEnv, ec2Env, FAKE_CREDENTIALS, gceEnv } from './fake-clouds/env.js';
import { heldByDigitalOcean, heldByEc2, heldByGce, type Held } from './fake-clouds/tagged.js';
import { kadende, scratch } from './support/cli.js';

const box = scratch('clouds');
const configFile = join(box.root, 'cluster.yaml');
let ec2: FakeEc2;
let gce: FakeGce;
let api: FakeDigitalOcean;
let env: Record<string, string>;
let clusterId: string;

interface Sizes {
  aws: number;
  gcp: number;
  digitalOcean: number;
}

// The sample configuration's cloud groups, plugin names spelled as it spells them.
function writeConfig(sizes: Sizes): void {
  writeFileSync(
    configFile,
    `version: "0.0.1"
name: clouds
groups:
  group1:
    size: ${sizes.aws}
    resourcePlugin: { name: aws, version: latest }
    resourceProperties: { key: mwas, instanceType: t2.small, image: debian }
  group2:
    sub-group1:
      size: ${sizes.gcp}
      resourcePlugin: { name: gcd, version: latest }
      resourceProperties: { key: mwas, instanceType: t2.micro, image: amazonlinux }
    sub-group2:
      size: ${sizes.digitalOcean}
      resourcePlugin: { name: digitalOcean, version: latest }
      resourceProperties: { instanceType: standard, memory: 1, sshKey: mwas }
`,
  );
}

const run = (...args: string[]) => kadende(args, env);

async function ok(...args: string[]) {
  const result = await run(...args);
  expect(result.stderr).not.toMatch(/NodeVersionSupportWarning|Warning:/);
  expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
  return result;
}

/** Applies the sizes and reconciles until converged; answers what apply printed. */
async function applyAndConverge(sizes: Sizes, timeoutSeconds = 60): Promise<{ id: string; pins: Record<string, { name: string }> }> {
  writeConfig(sizes);
  const applied = JSON.parse((await ok('-o', 'json', 'apply', '-f', configFile)).stdout);
  const report = JSON.parse((await ok('-o', 'json', 'reconcile', 'clouds', '--wait', '--timeout', String(timeoutSeconds))).stdout);
  expect(report.converged).toBe(true);
  return applied;
}

/** Every live instance of the cluster in each fake cloud. */
const held = () => {
  const tags = { 'kadende.cluster': clusterId };
  return { aws: heldByEc2(ec2, tags), gcp: heldByGce(gce, tags), digitalOcean: heldByDigitalOcean(api, tags) };
};
const counts = () => {
  const h = held();
  return { aws: h.aws.length, gcp: h.gcp.length, digitalOcean: h.digitalOcean.length };
};
const clouds = (): FakeCloudBase[] => [ec2, gce, api];
const creates = (cloud: FakeCloudBase) => cloud.requests.filter((r) => r.operation === 'create');
/** Each cloud's requests since `marks` (taken with `mark()`). */
const mark = () => clouds().map((c) => c.requests.length);
const since = (marks: number[]) => clouds().map((c, i) => c.requests.slice(marks[i]));
const events = async () => JSON.parse((await ok('-o', 'json', 'events', 'clouds', '--limit', '1000')).stdout) as Array<{ id: string; type: string }>;

/**
 * No extra instance was ever made: an extra one would be an orphan that the controller finds and
 * deletes once old enough, so counting what is held at the end cannot tell. A scale-up that made
 * none sends the clouds no delete and finds no orphan.
 */
async function noExtraInstanceSince(marks: number[], lastEventId: string | undefined) {
  expect(since(marks).map((requests) => requests.filter((r) => r.operation === 'delete').map((r) => r.action))).toEqual([[], [], []]);
  const newer = (await events()).filter((e) => lastEventId === undefined || e.id > lastEventId);
  expect(newer.length).toBeGreaterThan(0);
  expect(newer.filter((e) => e.type === 'io.kadende.resource.orphan-found' || e.type === 'io.kadende.resource.deleting')).toEqual([]);
}

beforeAll(async () => {
  // Small delays: instances run 20 ms after creation, as the fakes' state timers allow.
  ec2 = await startFakeEc2({ pendingMs: 20, ...FAKE_CREDENTIALS.ec2 });
  gce = await startFakeGce({ pendingMs: 20, ...FAKE_CREDENTIALS.gce });
  api = await startFakeDigitalOcean({ pendingMs: 20, ...FAKE_CREDENTIALS.digitalOcean });
  env = { ...box.env, ...ec2Env(ec2), ...gceEnv(gce), ...digitalOceanEnv(api), KADENDE_CREATE_BACKOFF_MS: '50' };
});

afterAll(async () => {
  await Promise.all(clouds().map((c) => c.close()));
  box.cleanup();
});

describe('kadende CLI with the aws, gcd and digitalOcean plugins against the fake clouds', () => {
  it('applies a cluster with one group per cloud (one nested) and reconciles each cloud to its size', async () => {
    const applied = await applyAndConverge({ aws: 2, gcp: 2, digitalOcean: 3 });
    clusterId = applied.id;
    // gcd and digitalOcean resolve to the built-in gcp and digitalocean plugins.
    expect(Object.values(applied.pins).map((p) => p.name).sort()).toEqual(['aws', 'digitalocean', 'gcp']);

    expect(counts()).toEqual({ aws: 2, gcp: 2, digitalOcean: 3 });
    const h = held();
    expect(h.aws.every((i) => i.tags['kadende.group'] === 'group1')).toBe(true);
    expect(h.gcp.every((i) => i.tags['kadende.group'] === 'group2/sub-group1')).toBe(true);
    expect(h.digitalOcean.every((i) => i.tags['kadende.group'] === 'group2/sub-group2')).toBe(true);
    // The controller's records are the instances the clouds hold: by provider id, and by the
    // kadende.resource tag (the record's id and create token).
    const records = JSON.parse((await ok('-o', 'json', 'get', 'resources', 'clouds')).stdout) as Array<{ id: string; providerId?: string }>;
    const all = [...h.aws, ...h.gcp, ...h.digitalOcean];
    expect(records.map((r) => r.providerId).sort()).toEqual(all.map((i) => i.id).sort());
    expect(records.map((r) => r.id).sort()).toEqual(all.map((i) => i.tags['kadende.resource']).sort());
  });

  it('replaces instances deleted behind its back in each cloud', async () => {
    const before = held();
    const gone = { aws: before.aws[0]!.id, gcp: before.gcp[0]!.id, digitalOcean: before.digitalOcean[0]!.id };
    // As a person in each provider's console would: terminated, deleted, destroyed.
    ec2.instances.get(gone.aws)!.state = 'terminated';
    gce.instances.delete(`${gceEnv(gce).GOOGLE_CLOUD_PROJECT}/${gone.gcp}`);
    api.instances.delete(Number(gone.digitalOcean));
    expect(counts()).toEqual({ aws: 1, gcp: 1, digitalOcean: 2 });

    const report = JSON.parse((await ok('-o', 'json', 'reconcile', 'clouds', '--wait', '--timeout', '60')).stdout);
    expect(report.converged).toBe(true);
    const after = held();
    expect(counts()).toEqual({ aws: 2, gcp: 2, digitalOcean: 3 });
    const ids = (list: Held[]) => list.map((i) => i.id);
    expect(ids(after.aws)).not.toContain(gone.aws);
    expect(ids(after.gcp)).not.toContain(gone.gcp);
    expect(ids(after.digitalOcean)).not.toContain(gone.digitalOcean);
    // The survivors were left alone.
    expect(ids(after.aws)).toEqual(expect.arrayContaining(ids(before.aws).filter((id) => id !== gone.aws)));
    expect(ids(after.digitalOcean)).toEqual(expect.arrayContaining(ids(before.digitalOcean).filter((id) => id !== gone.digitalOcean)));
  });

  it('rides out a throttling storm on every cloud without an extra instance', async () => {
    // One create per cloud meets the whole storm: only backing off within the call gets it through.
    const storm = 6;
    const seen = clouds().map((c) => creates(c).length);
    const marks = mark();
    const lastEvent = (await events()).at(-1)?.id;
    for (const cloud of clouds()) cloud.faults.add('throttle', { count: storm, operation: 'create' });

    // DigitalOcean's 429s say Retry-After: 1 s, waited out before each retry: 6 s at least,
    // more on a busy machine (29 s seen with four copies of this file at once on 2 cores).
    await applyAndConverge({ aws: 3, gcp: 3, digitalOcean: 4 }, 100);

    expect(counts()).toEqual({ aws: 3, gcp: 3, digitalOcean: 4 });
    clouds().forEach((cloud, i) => {
      // Every throttled answer was taken and backed off from, and the creates went through after it.
      expect(cloud.faults.pending).toBe(0);
      const answered = creates(cloud).slice(seen[i]);
      expect(answered.filter((r) => r.fault === 'throttle')).toHaveLength(storm);
      expect(answered.filter((r) => r.status >= 200 && r.status < 300).length).toBeGreaterThanOrEqual(1);
    });
    // The plugins absorbed the storm themselves: no create call failed back to the controller.
    const all = await events();
    expect(all.filter((e) => e.type === 'io.kadende.resource.create-failed')).toEqual([]);
    expect(all.filter((e) => e.type === 'io.kadende.resource.created').length).toBeGreaterThanOrEqual(3 + 3 + 4);
    // Exactly the 1 + 1 + 1 new instances were made: none extra, removed again as an orphan.
    await noExtraInstanceSince(marks, lastEvent);
    expect(all.filter((e) => lastEvent === undefined || e.id > lastEvent).filter((e) => e.type === 'io.kadende.resource.created')).toHaveLength(3);
  }, 120_000);

  it('never makes an extra instance when create answers are lost', async () => {
    const seen = clouds().map((c) => creates(c).length);
    const marks = mark();
    const lastEvent = (await events()).at(-1)?.id;
    for (const cloud of clouds()) cloud.faults.add('loseAnswer', { count: 2 });

    // Two creates per cloud, so both lost answers land even where a retry first looks the token
    // up and finds the instance instead of creating again (DigitalOcean).
    await applyAndConverge({ aws: 5, gcp: 5, digitalOcean: 6 });

    expect(counts()).toEqual({ aws: 5, gcp: 5, digitalOcean: 6 });
    clouds().forEach((cloud, i) => {
      expect(cloud.faults.pending).toBe(0);
      // Each lost answer still made its instance in the cloud: two makes that the plugin never heard of.
      expect(creates(cloud).slice(seen[i]).filter((r) => r.status === 0)).toHaveLength(2);
    });
    // No instance beyond the 2 + 2 + 2 new ones was ever made (and then removed as an orphan).
    await noExtraInstanceSince(marks, lastEvent);
    // And a further pass finds nothing to do.
    const again = JSON.parse((await ok('-o', 'json', 'reconcile', 'clouds')).stdout);
    expect(again.converged).toBe(true);
    expect(counts()).toEqual({ aws: 5, gcp: 5, digitalOcean: 6 });
  });

  it('delete cluster empties all three clouds', async () => {
    await ok('delete', 'cluster', 'clouds', '--timeout', '60');
    expect(counts()).toEqual({ aws: 0, gcp: 0, digitalOcean: 0 });
    // Not even an instance of another tag set was left behind by the runs above.
    expect([heldByEc2(ec2).length, heldByGce(gce).length, heldByDigitalOcean(api).length]).toEqual([0, 0, 0]);
    const clusters = JSON.parse((await ok('-o', 'json', 'get', 'clusters')).stdout) as unknown[];
    expect(clusters).toEqual([]);
  });
});
