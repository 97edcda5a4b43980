/**
 * One simulated run: the real Reconciler against a MemoryStore and a simulated
 * provider, in one process, on a virtual clock, with one seeded PRNG.
 *
 * Determinism: nothing the reconciler awaits resolves on its own. Store calls
 * run synchronously (MemoryStore) and plugin calls and sleeps become timed
 * operations in the world's queue; the loop lets the controller run until it
 * is blocked (a macrotask turn drains every microtask), then takes the next due
 * operation (ties in PRNG order), moves the clock to it, and applies it. Each
 * seed therefore replays exactly.
 *
 * Crashes: every await point of the controller (a store read, before and after
 * a commit, before a plugin call) may be where the process dies. The dead
 * controller's promises are abandoned (never settled), what the store committed
 * stays, calls already sent still land at the provider, and a fresh Reconciler
 * starts on the same MemoryState a few virtual seconds later.
 */
import { TAG_CLUSTER, TAG_GROUP, TAG_RESOURCE, TAG_SPEC, type PluginMethod, type Resource } from '@kadende/plugin-sdk';
import { DEFAULT_POLICY } from '../../host/config/types.js';
import { Reconciler, type PluginCaller, type PluginSource, type ReconcileReport } from '../../host/controller/reconcile.js';
import { MemoryState, MemoryStore } from '../../host/store/memory-store.js';
import type { Change, EventQuery, Store } from '../../host/store/types.js';
import type { ClusterRecord, PluginPin, ResourceRecord } from '../../model/index.js';
import { Checker, type Violation } from './checker.js';
import { Prng, derive } from './prng.js';
import type { Faults, Scenario } from './scenario.js';
import { NO_FAULTS } from './scenario.js';

export const CLUSTER = 'c1';
export const GROUP = 'web';
export const PIN: PluginPin = { name: 'sim', version: '1.0.0', source: 'builtin', requested: { name: 'sim', version: '1.0.0' } };
/**
 * Quiet passes (no faults, no edits) the group gets to converge in: 80 (the 120 s lost grace and the
 * 30 s orphan age at 1-5 s a pass), plus 20 per resource, since a rolling update replaces them one at
 * a time and each waits out the describe lag (seed 11311: 5 resources, 40 s lag, maxSurge 0).
 */
export const CONVERGE_PASSES = 80;
export const CONVERGE_PASSES_PER_RESOURCE = 20;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const MAX_CRASHES = 6;
const MAX_STEPS = 20_000;

export interface Truth {
  id: string;
  tags: Record<string, string>;
  token?: string;
  status: 'pending' | 'active' | 'unhealthy';
  createdAt: number;
  listedAt: number;
  readyAt: number;
  /** Made by a non-idempotent create for a token that already had a resource: the provider's doing, not Kadende's. */
  duplicate: boolean;
}

interface Op {
  due: number;
  seq: number;
  run(): void;
}

export interface RunResult {
  violation?: Violation;
  passes: number;
  steps: number;
  crashes: number;
  virtualMs: number;
  trace: string[];
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});

export class World {
  now = T0;
  readonly rng: Prng;
  readonly state = new MemoryState();
  /** The provider's truth: what exists right now. */
  readonly alive = new Map<string, Truth>();
  /** Deleted, still listed as terminating until the time given. */
  readonly gone = new Map<string, { truth: Truth; until: number }>();
  readonly checker: Checker;
  faults: Faults;
  private ops: Op[] = [];
  private seq = 0;
  private ids = 0;
  private resourceIds = 0;
  private gen = 0;
  private alivegen = 0;
  private crashes = 0;
  private steps = 0;
  private passes = 0;
  private quietPasses = 0;
  private quietSince = 0;
  private passRunning = false;
  private done = false;
  private flavour = 1;
  readonly trace: string[] = [];

  constructor(
    readonly scenario: Scenario,
    private readonly options: { trace?: boolean } = {},
  ) {
    this.rng = new Prng(derive(scenario.seed, 2));
    this.faults = scenario.faults;
    this.checker = new Checker(this);
  }

  /** Trace lines are built only when tracing (a replay): a sweep does not pay for them. */
  log(line: string | (() => string)): void {
    if (this.options.trace) this.trace.push(`${((this.now - T0) / 1000).toFixed(1).padStart(7)}s  ${typeof line === 'string' ? line : line()}`);
  }

  // ---- the operator ----------------------------------------------------------

  cluster(): ClusterRecord {
    return JSON.parse(this.state.clusters.get(CLUSTER)!) as ClusterRecord;
  }

  private writeCluster(edit: (group: ClusterRecord['spec']['groups'][number]) => void): void {
    const cluster = this.state.clusters.has(CLUSTER) ? this.cluster() : this.initialCluster();
    edit(cluster.spec.groups[0]!);
    cluster.generation += 1;
    void new MemoryStore(this.state).commit({ putClusters: [cluster] });
    this.checker.onConfig(cluster.spec.groups[0]!);
  }

  private initialCluster(): ClusterRecord {
    const s = this.scenario;
    return {
      id: CLUSTER,
      name: CLUSTER,
      generation: 0,
      createdAt: new Date(T0).toISOString(),
      updatedAt: new Date(T0).toISOString(),
      spec: {
        id: CLUSTER,
        name: CLUSTER,
        version: '1',
        groups: [
          {
            path: GROUP,
            size: s.size,
            plugin: { name: 'sim', version: '1.0.0' },
            properties: { flavour: this.flavour },
            policy: { ...DEFAULT_POLICY, maxSurge: s.maxSurge, maxUnavailable: s.maxUnavailable },
          },
        ],
      },
      source: { file: 'sim.yaml', text: '' },
      pins: { [GROUP]: PIN },
      retired: {},
    };
  }

  private operatorEdits(pass: number): void {
    for (const e of this.scenario.edits) {
      if (e.pass !== pass) continue;
      this.writeCluster((g) => {
        if (e.kind === 'size') g.size = e.value;
        else if (e.kind === 'surge') g.policy = { ...g.policy, maxSurge: e.value };
        else g.properties = { flavour: (this.flavour += 1) };
      });
      this.log(() => `operator: ${e.kind} -> ${e.kind === 'spec' ? `flavour ${this.flavour}` : e.value}`);
    }
  }

  /** `reconcile --retry-failed`: drop the records of failed creates. */
  private retryFailed(): void {
    const failed = [...(this.state.resources.get(CLUSTER)?.get(GROUP)?.values() ?? [])]
      .map((json) => JSON.parse(json) as ResourceRecord)
      .filter((r) => r.state === 'failed');
    if (failed.length === 0) return;
    void new MemoryStore(this.state).commit({ deleteResources: failed });
    this.log(() => `operator: --retry-failed drops ${failed.length} failed record(s)`);
  }

  // ---- the scheduler of operations --------------------------------------------

  at(delay: number, run: () => void): void {
    this.ops.push({ due: this.now + Math.max(0, delay), seq: (this.seq += 1), run });
  }

  private nextOp(): Op | undefined {
    if (this.ops.length === 0) return undefined;
    let due = Infinity;
    for (const op of this.ops) due = Math.min(due, op.due);
    const ready = this.ops.filter((op) => op.due === due);
    const op = ready.length === 1 ? ready[0]! : this.rng.pick(ready);
    this.ops.splice(this.ops.indexOf(op), 1);
    return op;
  }

  latency(base: number): number {
    return base + (this.scenario.jitterMs > 0 ? this.rng.int(0, this.scenario.jitterMs) : 0);
  }

  // ---- the controller -----------------------------------------------------------

  alive_(gen: number): boolean {
    return gen === this.alivegen;
  }

  /** Whether the controller `gen` dies at this await point. */
  crashHere(gen: number, where: string | (() => string)): boolean {
    if (!this.alive_(gen)) return true;
    if (this.crashes >= MAX_CRASHES || !this.rng.chance(this.faults.crash)) return false;
    this.crashes += 1;
    this.alivegen = -1;
    this.passRunning = false;
    this.log(() => `CRASH ${typeof where === "string" ? where : where()}`);
    this.at(this.rng.int(1_000, 5_000), () => this.startController());
    return true;
  }

  private reconciler?: Reconciler;

  private startController(): void {
    this.gen += 1;
    this.alivegen = this.gen;
    const gen = this.gen;
    this.log(() => `controller ${gen} starts`);
    this.reconciler = new Reconciler(new SimStore(this, gen), new SimPlugins(this, gen), {
      clock: { now: () => new Date(this.now), sleep: (ms) => (this.alive_(gen) ? new Promise<void>((resolve) => this.at(ms, () => this.alive_(gen) && resolve())) : never()) },
      newId: () => `${String((this.ids += 1)).padStart(8, '0')}`,
      createBackoffMs: 500,
    });
    this.at(0, () => this.pass(gen));
  }

  private pass(gen: number): void {
    if (!this.alive_(gen) || this.passRunning || this.done) return;
    this.passes += 1;
    const quiet = this.passes > this.scenario.faultPasses;
    if (!quiet) {
      this.operatorEdits(this.passes);
      this.healthFaults();
    } else {
      if (this.faults !== NO_FAULTS) {
        this.faults = NO_FAULTS;
        this.quietSince = this.now;
        this.log('faults stop');
      }
      this.quietPasses += 1;
      // The operator retries failed creates once describe has caught up (a failed record whose create did land is adopted by then).
      if (this.now - this.quietSince >= 60_000) this.retryFailed();
    }
    this.passRunning = true;
    this.log(() => `pass ${this.passes} (controller ${gen})`);
    const cluster = this.cluster();
    this.reconciler!.reconcile(cluster).then(
      (report) => this.passDone(gen, report),
      (error: Error) => {
        if (!this.alive_(gen)) return;
        this.passRunning = false;
        this.log(() => `pass failed: ${error.message}`);
        this.at(2_000, () => this.pass(gen));
      },
    );
  }

  private passDone(gen: number, report: ReconcileReport): void {
    if (!this.alive_(gen)) return;
    this.passRunning = false;
    const group = report.groups[0]!;
    const acted = group.actions.filter((a) => a.kind !== 'observe');
    this.log(() => `pass ${this.passes} done: ${acted.map((a) => a.kind).join(', ') || 'nothing'}${report.converged ? ' (converged)' : ''}`);
    if (this.passes > this.scenario.faultPasses) {
      if (report.converged && this.checker.settled()) {
        this.done = true;
        return;
      }
      const bound = CONVERGE_PASSES + CONVERGE_PASSES_PER_RESOURCE * this.cluster().spec.groups[0]!.size;
      if (this.quietPasses >= bound) {
        this.checker.fail('convergence', `not converged ${bound} passes after faults stopped: ${this.checker.describeTruth()}`);
        return;
      }
    }
    this.at(report.converged ? 10_000 : this.rng.int(1_000, 5_000), () => this.pass(gen));
  }

  private healthFaults(): void {
    const ours = [...this.alive.values()].filter((t) => t.tags[TAG_CLUSTER] === CLUSTER && t.tags[TAG_GROUP] === GROUP);
    if (ours.length > 0 && this.rng.chance(this.faults.unhealthy)) {
      const t = this.rng.pick(ours);
      t.status = 'unhealthy';
      this.checker.onHealthFault();
      this.log(() => `fault: ${t.id} turns unhealthy`);
    }
    if (ours.length > 0 && this.rng.chance(this.faults.vanish)) {
      const t = this.rng.pick(ours);
      this.alive.delete(t.id);
      this.checker.onHealthFault();
      this.log(() => `fault: ${t.id} vanishes`);
    }
  }

  // ---- the provider -------------------------------------------------------------

  statusOf(t: Truth): Truth['status'] {
    if (t.status === 'pending' && this.now >= t.readyAt) t.status = 'active';
    return t.status;
  }

  private toResource(t: Truth, status?: Resource['status']): Resource {
    return { id: t.id, status: status ?? this.statusOf(t), tags: { ...t.tags }, createdAt: new Date(t.createdAt).toISOString() };
  }

  /** A call that reached the provider: checked, then answered after its latency. */
  submit<T>(gen: number, method: PluginMethod, request: Record<string, unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const answer = (fn: () => T, delay: number, lost = false) => {
        this.at(delay, () => {
          let value: T;
          try {
            value = fn();
          } catch (error) {
            if (this.alive_(gen)) reject(error);
            return;
          }
          if (lost) {
            this.log(() => `  ${method} done, answer lost`);
            if (this.alive_(gen)) reject(Object.assign(new Error(`plugin sim@1.0.0: ${method} failed: no answer within 10000 ms`), { code: 'KADENDE_ERR_PLUGIN_TIMEOUT' }));
          } else if (this.alive_(gen)) resolve(value);
        });
      };
      const fail = (code: string, message: string, delay: number) =>
        this.at(delay, () => this.alive_(gen) && reject(Object.assign(new Error(`plugin sim@1.0.0: ${method} failed: ${message}`), { code })));
      if (this.rng.chance(this.faults.throttle)) {
        this.log(() => `  ${method}: throttled`);
        fail('KADENDE_ERR_PLUGIN_THREW', 'RequestLimitExceeded: 429', this.latency(50));
        return;
      }
      if (this.rng.chance(this.faults.error5xx)) {
        this.log(() => `  ${method}: 5xx`);
        fail('KADENDE_ERR_PLUGIN_THREW', 'InternalError: 503', this.latency(method === 'describe' ? this.scenario.describeMs : 200));
        return;
      }
      if (method === 'describe') {
        answer(() => this.describe(request.tags as Record<string, string>) as T, this.latency(this.scenario.describeMs));
      } else if (method === 'create') {
        this.checker.onCreateArrives(request);
        const lost = this.rng.chance(this.faults.lostAnswer);
        answer(() => this.create(request) as T, this.latency(this.scenario.createMs), lost);
      } else {
        this.checker.onDeleteArrives(request.id as string);
        const lost = this.rng.chance(this.faults.lostAnswer);
        answer(() => this.delete(request.id as string) as T, this.latency(this.scenario.deleteMs), lost);
      }
    });
  }

  private describe(tags: Record<string, string>): { resources: Resource[] } {
    const matches = (t: Truth) => Object.entries(tags).every(([k, v]) => t.tags[k] === v);
    const out: Resource[] = [];
    const leak = this.rng.chance(this.faults.leak);
    for (const t of this.alive.values()) {
      if (this.now < t.listedAt) continue;
      if (matches(t) || (leak && t.id.startsWith('foreign'))) out.push(this.toResource(t));
    }
    for (const [id, { truth, until }] of this.gone) {
      if (this.now >= until) this.gone.delete(id);
      else if (matches(truth) && this.now >= truth.listedAt) out.push(this.toResource(truth, 'terminating'));
    }
    return { resources: out };
  }

  private create(request: Record<string, unknown>): Resource {
    const token = request.token as string;
    const tags = request.tags as Record<string, string>;
    const existing = [...this.alive.values()].find((t) => t.token === token);
    if (existing && !this.rng.chance(this.faults.duplicate)) {
      this.log(() => `  create ${token}: exists as ${existing.id}`);
      return this.toResource(existing);
    }
    const id = `i-${String((this.resourceIds += 1)).padStart(4, '0')}`;
    const truth: Truth = {
      id,
      tags: { ...tags },
      token,
      status: this.scenario.bootMs > 0 ? 'pending' : 'active',
      createdAt: this.now,
      listedAt: this.now + (this.scenario.listLagMs > 0 ? this.rng.int(0, this.scenario.listLagMs) : 0),
      readyAt: this.now + this.scenario.bootMs,
      duplicate: existing !== undefined,
    };
    this.alive.set(id, truth);
    this.log(() => `  create ${token} -> ${id}${truth.duplicate ? ' (a DUPLICATE: the provider is not idempotent)' : ''} [${this.checker.count()} held]`);
    this.checker.check();
    return this.toResource(truth);
  }

  private delete(id: string): Record<string, never> {
    const truth = this.alive.get(id);
    if (truth) {
      this.alive.delete(id);
      if (this.scenario.lingerMs > 0) this.gone.set(id, { truth, until: this.now + this.scenario.lingerMs });
      this.log(() => `  delete ${id} done [${this.checker.count()} held]`);
    }
    return {};
  }

  // ---- the run --------------------------------------------------------------------

  async run(): Promise<RunResult> {
    // Resources of another group and another cluster, and one without tags: never Kadende's to delete.
    for (const [id, tags] of [
      ['foreign-group', { [TAG_CLUSTER]: CLUSTER, [TAG_GROUP]: 'db', [TAG_RESOURCE]: 'x1', [TAG_SPEC]: 'x' }],
      ['foreign-cluster', { [TAG_CLUSTER]: 'c2', [TAG_GROUP]: GROUP, [TAG_RESOURCE]: 'x2', [TAG_SPEC]: 'x' }],
      ['foreign-untagged', {}],
    ] as const) {
      this.alive.set(id, { id, tags: { ...tags }, status: 'active', createdAt: T0 - 3_600_000, listedAt: T0, readyAt: T0, duplicate: false });
    }
    this.writeCluster(() => {});
    this.startController();
    while (!this.done && this.checker.violation === undefined) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.checker.check();
      if (this.checker.violation || this.done) break;
      const op = this.nextOp();
      if (!op) {
        this.checker.fail('convergence', 'the controller stopped: nothing left to run');
        break;
      }
      if ((this.steps += 1) > MAX_STEPS) {
        this.checker.fail('convergence', `no end after ${MAX_STEPS} steps`);
        break;
      }
      this.now = Math.max(this.now, op.due);
      op.run();
    }
    this.alivegen = -1;
    return { violation: this.checker.violation, passes: this.passes, steps: this.steps, crashes: this.crashes, virtualMs: this.now - T0, trace: this.trace };
  }
}

/** The controller's view of the store: a MemoryStore on the world's state, where every await may be a crash. */
class SimStore implements Store {
  private readonly inner: MemoryStore;
  constructor(
    private readonly world: World,
    private readonly gen: number,
  ) {
    this.inner = new MemoryStore(world.state);
  }
  private read<T>(where: string, read: () => Promise<T>): Promise<T> {
    return this.world.crashHere(this.gen, where) ? never() : read();
  }
  installationId() {
    return this.inner.installationId();
  }
  getCluster(id: string) {
    return this.read('reading a cluster', () => this.inner.getCluster(id));
  }
  findClusterByName(name: string) {
    return this.read('reading a cluster', () => this.inner.findClusterByName(name));
  }
  listClusters() {
    return this.read('listing clusters', () => this.inner.listClusters());
  }
  listResources(clusterId: string, groupPath?: string) {
    return this.read('listing records', () => this.inner.listResources(clusterId, groupPath));
  }
  listEvents(clusterId: string, query?: EventQuery) {
    return this.read('listing events', () => this.inner.listEvents(clusterId, query));
  }
  async commit(change: Change): Promise<void> {
    if (this.world.crashHere(this.gen, () => `before a commit (${describeChange(change)})`)) return never();
    await this.inner.commit(change);
    this.world.checker.onCommitted(change);
    this.world.log(() => `commit ${describeChange(change)}`);
    if (this.world.crashHere(this.gen, () => `after a commit (${describeChange(change)})`)) return never();
  }
  listOutbox(limit: number) {
    return this.inner.listOutbox(limit);
  }
  removeOutbox(keys: string[]) {
    return this.inner.removeOutbox(keys);
  }
  countOutbox() {
    return this.inner.countOutbox();
  }
  close() {
    return this.inner.close();
  }
}

function describeChange(change: Change): string {
  const parts = [
    ...(change.putResources ?? []).map((r) => `${r.id}=${r.state}`),
    ...(change.deleteResources ?? []).map((r) => `-${r.id}`),
    ...(change.events ?? []).map((e) => e.type.replace('io.kadende.', '')),
  ];
  return parts.join(' ');
}

/** The in-process plugin: every call is a timed operation at the simulated provider. */
class SimPlugins implements PluginSource, PluginCaller {
  constructor(
    private readonly world: World,
    private readonly gen: number,
  ) {}
  async pool(_pin: PluginPin): Promise<PluginCaller> {
    return this;
  }
  call<T>(method: PluginMethod, request: unknown): Promise<T> {
    const r = request as Record<string, unknown>;
    if (this.world.crashHere(this.gen, () => `before ${method} ${method === 'create' ? String(r.token) : method === 'delete' ? String(r.id) : ''}`)) return never();
    if (method !== 'describe') this.world.log(() => `${method} ${method === 'create' ? String(r.token) : String(r.id)} sent`);
    return this.world.submit<T>(this.gen, method, r);
  }
}
