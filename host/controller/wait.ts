/**
 * Reconciling on request: one pass, or (wait) passes until the cluster has
 * converged, failing at once when a group cannot converge without an
 * operator, and at the deadline otherwise. Retired groups that reached zero
 * are dropped from the cluster between passes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type { ClusterRecord } from '../../model/index.js';
import { makeEvent } from '../events/index.js';
import type { Store } from '../store/index.js';
import type { PluginSource, Reconciler, ReconcileReport } from './reconcile.js';
import { kadendeError } from '../../errors/index.js';
import type { KeyedLock } from './keyed-lock.js';

/** How long a reconcile with wait, and a cluster delete, keep trying by default. */
export const DEFAULT_WAIT_MS = 300_000;

export interface WaitOptions {
  wait?: boolean;
  /** With wait: give up after this long. */
  timeoutMs?: number;
  /** With wait: pause between passes. */
  intervalMs?: number;
  /** Drop records of failed creates first, so they are tried again. */
  retryFailed?: boolean;
  /** After every pass: what it found, for an operator watching (the CLI's progress lines). */
  onProgress?: (progress: WaitProgress) => void;
}

export interface WaitProgress {
  report: ReconcileReport;
  /** 1 for the first pass. */
  pass: number;
  /** Since the wait began. */
  elapsedMs: number;
}

/** A group whose describe fails this many passes in a row with the same error is stuck: the wait fails. */
export const DESCRIBE_STUCK_PASSES = 3;

/** Groups that no further pass will fix: nothing to do but not converged, because creates failed for good or remediation halted, or a plugin that does not load. */
export function stuckGroups(report: ReconcileReport): string[] {
  return report.groups.flatMap((g) => {
    // A plugin that cannot load will not load on the next pass either.
    if (g.error?.code === 'KADENDE_ERR_PLUGIN_LOAD') return [`${g.path}: ${g.error.message}`];
    if (!g.status || g.actions.some((a) => a.kind !== 'halt')) return [];
    if (g.status.reason === 'halted' || g.status.reason === 'creates-failed') return [`${g.path}: ${g.status.message}`];
    return [];
  });
}

export interface WaitContext {
  store: Store;
  reconciler: Reconciler;
  /** The plugins, for the final sweep of a deleted cluster. */
  plugins: PluginSource;
  now: () => Date;
  /** The cluster as stored now (it may change between passes). */
  lookup: (id: string) => Promise<ClusterRecord>;
  /** Where a delete checks its precondition and marks the cluster (KadendeService's, shared with apply). */
  writes?: KeyedLock;
  /** Every finished pass, for the status a daemon serves. */
  onPass?: (report: ReconcileReport) => void;
}

/** Per group, the describe error of the last passes and how many passes in a row it was the same. */
type DescribeFailures = Map<string, { message: string; count: number }>;

function describeStuck(report: ReconcileReport, failures: DescribeFailures): string[] {
  const stuck: string[] = [];
  for (const group of report.groups) {
    if (group.status?.reason !== 'describe-failed' || !group.error) {
      failures.delete(group.path);
      continue;
    }
    const before = failures.get(group.path);
    const count = before?.message === group.error.message ? before.count + 1 : 1;
    failures.set(group.path, { message: group.error.message, count });
    if (count >= DESCRIBE_STUCK_PASSES) {
      // The code once: a Node error's message already starts with it (ENOTDIR: not a directory, ...).
      const { code, message } = group.error;
      const said = message.startsWith(`${code}:`) ? message : `${code}: ${message}`;
      stuck.push(`${group.path}: describe failed ${count} passes in a row: ${said} (fix the group's resourceProperties and apply, or the plugin's access)`);
    }
  }
  return stuck;
}

export async function reconcileCluster(context: WaitContext, start: ClusterRecord, options: WaitOptions = {}): Promise<ReconcileReport> {
  let cluster = start;
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const deadline = started + timeoutMs;
  let last: ReconcileReport | undefined;
  const timedOut = () => kadendeError('KADENDE_ERR_RECONCILE_TIMEOUT', cluster.name, Math.round(timeoutMs / 1000)).with({ details: last && whole(last) });
  // The whole duration, not the last pass's.
  const whole = (report: ReconcileReport): ReconcileReport => (options.wait ? { ...report, durationMs: Date.now() - started } : report);
  // With wait, the deadline bounds everything, whatever a plugin does: a pass still running at
  // the deadline is left to finish on its own (each plugin call has its own timeout).
  const bounded = <T>(work: Promise<T>): Promise<T> => (options.wait ? beforeDeadline(work, deadline, timedOut) : work);
  if (options.retryFailed) await dropFailed(context.store, cluster);
  const failures: DescribeFailures = new Map();
  for (let pass = 1; ; pass += 1) {
    const report = await bounded(context.reconciler.reconcile(cluster));
    last = report;
    context.onPass?.(report);
    options.onProgress?.({ report, pass, elapsedMs: Date.now() - started });
    cluster = await bounded(settleRetired(context, cluster, report));
    if (!options.wait || report.converged) return whole(report);
    const stuck = [...stuckGroups(report), ...describeStuck(report, failures)];
    if (stuck.length > 0) {
      const stuckError = kadendeError('KADENDE_ERR_RECONCILE_STUCK', cluster.name, stuck.join('; ')).with({ details: whole(report) });
      if (report.groups.some((g) => g.status?.reason === 'creates-failed' && g.actions.every((a) => a.kind === 'halt'))) stuckError.hint(' (see `kadende events`; retry with --retry-failed)', ' (see the cluster\'s events; retry with retryFailed: true)');
      throw stuckError;
    }
    if (Date.now() >= deadline) throw timedOut();
    await sleep(Math.min(options.intervalMs ?? 1000, Math.max(0, deadline - Date.now())));
    cluster = await bounded(context.lookup(cluster.id));
  }
}

/** `work`, or `error()` once the deadline passes first. */
async function beforeDeadline<T>(work: Promise<T>, deadline: number, error: () => Error): Promise<T> {
  const controller = new AbortController();
  const timer = sleep(Math.max(0, deadline - Date.now()), undefined, { signal: controller.signal }).then(
    () => Promise.reject(error()),
    () => new Promise<never>(() => {}),
  );
  // An abandoned pass that fails later must not be an unhandled rejection.
  work.catch(() => {});
  try {
    return await Promise.race([work, timer]);
  } finally {
    controller.abort();
  }
}

/** Retired groups that reached zero, and earlier placements left empty, are dropped from the cluster. */
async function settleRetired(context: WaitContext, cluster: ClusterRecord, report: ReconcileReport): Promise<ClusterRecord> {
  const empty = report.groups.filter((g) => g.retired && g.status?.actual === 0 && g.actions.length === 0).map((g) => g.path);
  const settled = empty.filter((path) => path in cluster.retired);
  const emptied = report.groups.filter((g) => (g.emptyPlacements?.length ?? 0) > 0);
  if (settled.length === 0 && emptied.length === 0) return cluster;
  const fresh = await context.lookup(cluster.id);
  const retired = { ...fresh.retired };
  for (const path of settled) delete retired[path];
  const retiredPlacements = { ...fresh.retiredPlacements };
  for (const g of emptied) {
    const left = (retiredPlacements[g.path] ?? []).filter((p) => !g.emptyPlacements!.some((e) => isDeepStrictEqual(e, p)));
    if (left.length > 0) retiredPlacements[g.path] = left;
    else delete retiredPlacements[g.path];
  }
  const updated = { ...fresh, retired, retiredPlacements };
  await context.store.commit({ putClusters: [updated] });
  return updated;
}

async function dropFailed(store: Store, cluster: ClusterRecord): Promise<void> {
  const failed = (await store.listResources(cluster.id)).filter((r) => r.state === 'failed');
  if (failed.length === 0) return;
  await store.commit({
    deleteResources: failed,
    events: failed.map((r) =>
      makeEvent('io.kadende.resource.deleted', { clusterId: r.clusterId, groupPath: r.groupPath, resourceId: r.id, cause: 'dropped a failed create so that it is tried again (--retry-failed)' }),
    ),
  });
}
