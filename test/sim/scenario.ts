/**
 * A scenario: the group's configuration, the provider's behaviour, the faults
 * and the operator's edits, all drawn from one seed. The shrinker simplifies a
 * scenario field by field (a fault off, an edit dropped, a smaller group) and
 * keeps each simplification that still breaks the same invariant.
 */
import { Prng, derive } from './prng.js';

export interface Faults {
  /** Per plugin call: a 429 before anything happens. */
  throttle: number;
  /** Per plugin call: a 5xx, nothing done. */
  error5xx: number;
  /** Per create/delete: done at the provider, but the answer is lost (a timeout). */
  lostAnswer: number;
  /** Per create whose token already has a resource: a second resource anyway. */
  duplicate: number;
  /** Per pass: one resource turns unhealthy. */
  unhealthy: number;
  /** Per pass: one resource vanishes (reclaimed behind Kadende's back). */
  vanish: number;
  /** Per await point of the controller (store read or commit, plugin call): the process dies there. */
  crash: number;
  /** Per describe: the plugin's filter leaks resources of another group or cluster. */
  leak: number;
}

export type Edit = { pass: number; kind: 'size' | 'spec' | 'surge'; value: number };

export interface Scenario {
  seed: number;
  size: number;
  maxSurge: number;
  maxUnavailable: number;
  createMs: number;
  deleteMs: number;
  describeMs: number;
  /** Spread added to each latency: uniform in [0, jitterMs]. */
  jitterMs: number;
  /** A new resource is not listed for this long (eventual consistency). */
  listLagMs: number;
  /** A deleted resource is listed as `terminating` this long. */
  lingerMs: number;
  /** pending -> active. */
  bootMs: number;
  faults: Faults;
  edits: Edit[];
  /** Passes with faults and edits; then faults stop and the group must converge. */
  faultPasses: number;
}

export const NO_FAULTS: Faults = { throttle: 0, error5xx: 0, lostAnswer: 0, duplicate: 0, unhealthy: 0, vanish: 0, crash: 0, leak: 0 };

export function scenarioFor(seed: number): Scenario {
  const r = new Prng(derive(seed, 1));
  const level = r.pick([0, 0.02, 0.05, 0.15]);
  const some = (p: number) => (r.chance(0.5) ? p * r.next() * 2 : 0);
  const faultPasses = r.int(4, 16);
  const edits: Edit[] = [];
  for (let i = r.int(0, 3); i > 0; i -= 1) {
    const kind = r.pick(['size', 'spec', 'spec', 'surge'] as const);
    edits.push({ pass: r.int(1, faultPasses), kind, value: kind === 'size' ? r.int(0, 5) : kind === 'surge' ? r.int(0, 2) : r.int(2, 9) });
  }
  edits.sort((a, b) => a.pass - b.pass);
  return {
    seed,
    size: r.int(1, 5),
    maxSurge: r.int(0, 2),
    maxUnavailable: r.pick([0, 0, 1]),
    createMs: r.int(100, 20_000),
    deleteMs: r.int(100, 10_000),
    describeMs: r.int(50, 1_000),
    jitterMs: r.pick([0, 500, 5_000]),
    listLagMs: r.pick([0, 1_000, 10_000, 40_000]),
    lingerMs: r.pick([0, 5_000, 30_000]),
    bootMs: r.pick([0, 2_000, 30_000]),
    faults: {
      throttle: some(level),
      error5xx: some(level),
      lostAnswer: some(level),
      duplicate: some(level * 2),
      unhealthy: some(level * 2),
      vanish: some(level),
      crash: some(level / 3),
      leak: r.chance(0.3) ? 0.5 : 0,
    },
    edits,
    faultPasses,
  };
}

/** Simpler variants of a scenario, simplest first (what the shrinker tries). */
export function* simplifications(s: Scenario): Generator<Scenario> {
  for (const key of Object.keys(s.faults) as Array<keyof Faults>) {
    if (s.faults[key] > 0) yield { ...s, faults: { ...s.faults, [key]: 0 } };
  }
  for (let i = 0; i < s.edits.length; i += 1) yield { ...s, edits: s.edits.filter((_, j) => j !== i) };
  if (s.faultPasses > 1) yield { ...s, faultPasses: Math.max(1, Math.floor(s.faultPasses / 2)), edits: s.edits.filter((e) => e.pass <= Math.floor(s.faultPasses / 2)) };
  if (s.faultPasses > 1) yield { ...s, faultPasses: s.faultPasses - 1, edits: s.edits.filter((e) => e.pass <= s.faultPasses - 1) };
  if (s.size > 1) yield { ...s, size: s.size - 1 };
  if (s.jitterMs > 0) yield { ...s, jitterMs: 0 };
  if (s.listLagMs > 0) yield { ...s, listLagMs: 0 };
  if (s.lingerMs > 0) yield { ...s, lingerMs: 0 };
  if (s.bootMs > 0) yield { ...s, bootMs: 0 };
  if (s.maxSurge > 0) yield { ...s, maxSurge: s.maxSurge - 1 };
  if (s.maxUnavailable > 0) yield { ...s, maxUnavailable: 0 };
  for (let i = 0; i < s.edits.length; i += 1) {
    const e = s.edits[i]!;
    if (e.kind !== 'spec' && e.value > 0) yield { ...s, edits: s.edits.map((x, j) => (j === i ? { ...x, value: x.value - 1 } : x)) };
  }
}
