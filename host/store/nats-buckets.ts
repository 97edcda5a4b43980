/**
 * KV buckets made (or found) so that they answer before a store relies on them.
 *
 * Two races of a fresh JetStream, seen on nats-server 2.9 when several hosts start at once:
 * a host may be refused with "subjects overlap with an existing stream" although the bucket it
 * asked for now exists (another host made it a moment before), and the first direct get after
 * such a concurrent create can go unanswered, ending in the client's 5 s timeout while the next
 * get answers at once. So a create is retried, and the bucket is probed with short, growing
 * timeouts until a get answers.
 */
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV, type KvOptions } from '@nats-io/kv';
import { NoRespondersError, TimeoutError, type NatsConnection } from '@nats-io/transport-node';

const CREATE_ATTEMPTS = 4;
/** Probe timeouts: 250 ms doubling to 4 s, about 8 s in all before the last error stands. */
const FIRST_PROBE_MS = 250;
const LAST_PROBE_MS = 4000;
/** A key no store writes: the probe only needs an answer, "no such key" is one. */
const PROBE_KEY = 'kadende-probe';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the bucket, or opens it if it exists, and returns it once it answers a get. */
export async function createBucket(nc: NatsConnection, name: string, options: Partial<KvOptions>): Promise<KV> {
  const bucket = await createOrFind(nc, name, options);
  await untilAnswering(nc, name, options);
  return bucket;
}

async function createOrFind(nc: NatsConnection, name: string, options: Partial<KvOptions>): Promise<KV> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await new Kvm(nc).create(name, options);
    } catch (error) {
      if (attempt >= CREATE_ATTEMPTS || !/subjects overlap|already in use/i.test((error as Error).message)) throw error;
      await sleep(50 * attempt);
    }
  }
}

/** Gets through a handle made as the caller's was (create finds the bucket and reads as it does: direct gets where it allows them). */
async function untilAnswering(nc: NatsConnection, name: string, options: Partial<KvOptions>): Promise<void> {
  for (let timeout = FIRST_PROBE_MS; ; timeout *= 2) {
    try {
      const probe = await new Kvm(jetstream(nc, { timeout })).create(name, options);
      await probe.get(PROBE_KEY);
      return;
    } catch (error) {
      const unanswered = error instanceof TimeoutError || error instanceof NoRespondersError || (error as Error).cause instanceof TimeoutError;
      if (!unanswered || timeout >= LAST_PROBE_MS) throw error;
    }
  }
}
