/**
 * What applying a configuration would do, without storing it (`apply --dry-run`, `diff -f`,
 * `plan -f --detailed-exitcode`): the next cluster record as apply would store it, the change
 * field by field against the stored one, and the plan of a reconcile on it.
 */
import diff from 'microdiff';
import { draftCluster, KadendeService, type ReconcileReport } from '../controller/index.js';
import type { ClusterRecord } from '../../model/index.js';
import { kadendeError } from '../../errors/index.js';
import { configBaseDir, readConfig } from './config-file.js';
import type { KadendeOperations } from '../api/index.js';

/** One field that differs: `groups[web].size` from 3 to 4. */
export interface SpecChange {
  op: 'add' | 'remove' | 'change';
  path: string;
  from?: unknown;
  to?: unknown;
}

export interface Draft {
  /** The stored cluster the configuration updates; absent: it would be created. */
  existing?: ClusterRecord;
  next: ClusterRecord;
  changes: SpecChange[];
  plan: ReconcileReport;
}

/** Only the embedded or shared store can prepare a configuration without storing it: a daemon's API has no such route. */
export async function draftFromFile(s: KadendeOperations, file: string, options: { upgradePlugins?: boolean } = {}): Promise<Draft> {
  if (!(s instanceof KadendeService)) {
    throw kadendeError('KADENDE_ERR_ARGUMENT', 'a dry run or a diff works on the store itself, not through --server: run it on the daemon\'s host with its --data-dir or --store, or use `plan -f FILE` through the daemon');
  }
  const text = await readConfig(file);
  const prepared = await s.prepare(text, file, { upgradePlugins: options.upgradePlugins, baseDir: configBaseDir(file) });
  const { cluster } = draftCluster(prepared, { file, text });
  const plan = await s.reconciler.reconcile(cluster, { dryRun: true });
  return { existing: prepared.existing, next: cluster, changes: specChanges(prepared.existing, cluster), plan };
}

/** The configuration as an operator reads it: groups by path, pins as name@version. */
function comparable(cluster: ClusterRecord) {
  return {
    name: cluster.name,
    version: cluster.spec.version,
    groups: Object.fromEntries(
      cluster.spec.groups.map((g) => [g.path, { size: g.size, plugin: g.plugin, pinned: `${cluster.pins[g.path]?.name}@${cluster.pins[g.path]?.version}`, properties: g.properties, policy: g.policy }]),
    ),
  };
}

export function specChanges(existing: ClusterRecord | undefined, next: ClusterRecord): SpecChange[] {
  if (!existing) return [{ op: 'add', path: '(cluster)', to: next.name }];
  return diff(comparable(existing), comparable(next)).map((d) => {
    const path = formatPath(d.path);
    if (d.type === 'CREATE') return { op: 'add', path, to: d.value };
    if (d.type === 'REMOVE') return { op: 'remove', path, from: d.oldValue };
    return { op: 'change', path, from: d.oldValue, to: d.value };
  });
}

/** ['groups', 'workers/queue', 'size'] -> groups[workers/queue].size */
function formatPath(path: Array<string | number>): string {
  const [first, second, ...rest] = path.map(String);
  const head = first === 'groups' && second !== undefined ? `groups[${second}]` : [first, second].filter((p) => p !== undefined).join('.');
  return [head, ...rest].join('.');
}

/** Plan actions that change the world (not bookkeeping, not waiting). */
export function pendingActions(plan: ReconcileReport): number {
  const changing = new Set(['create', 'resume-create', 'delete', 'delete-orphan']);
  return plan.groups.reduce((n, g) => n + g.actions.filter((a) => changing.has(a.kind)).length, 0);
}

const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

export function renderChanges(draft: Draft): string {
  const { existing, next, changes } = draft;
  if (!existing) return `+ cluster ${next.name} (${next.id}) would be created, generation 1`;
  if (changes.length === 0) return `cluster ${next.name} (${next.id}): the configuration is unchanged`;
  const lines = changes.map((c) => {
    if (c.op === 'add') return `  + ${c.path}: ${show(c.to)}`;
    if (c.op === 'remove') return `  - ${c.path}${c.path.startsWith('groups[') && !c.path.includes('].') ? ' (its resources are deleted)' : `: ${show(c.from)}`}`;
    return `  ~ ${c.path}: ${show(c.from)} -> ${show(c.to)}`;
  });
  return [`cluster ${next.name} (${next.id}): ${changes.length} change(s), generation ${existing.generation} -> ${next.generation}`, ...lines].join('\n');
}
