/**
 * Phase 0, read the policy: a value the planner cannot read stops the group.
 * Configuration loading refuses such values, but a record stored by an older
 * version, an import or a hand-edited store can still carry `null`, NaN or
 * `Infinity`; each would otherwise read as the least safe behaviour (NaN
 * compares false, so `orphanMinAgeSeconds: null` deleted a 0 s old orphan at once).
 */
import type { GroupTarget } from './types.js';

const PERCENT = /^(0|[1-9][0-9]*)%$/;

const isCount = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isAmount = (value: unknown) => isCount(value) || (typeof value === 'string' && PERCENT.test(value) && Number(PERCENT.exec(value)![1]) <= 100);
const isSeconds = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0;

const CHECKS: Array<[field: string, read: (g: GroupTarget) => unknown, valid: (value: unknown) => boolean, expected: string]> = [
  ['size', (g) => g.size, isCount, 'an integer >= 0'],
  ['maxUnhealthy', (g) => g.policy?.maxUnhealthy, isAmount, 'an integer >= 0 or a percentage up to "100%"'],
  ['maxSurge', (g) => g.policy?.maxSurge, isAmount, 'an integer >= 0 or a percentage up to "100%"'],
  ['maxUnavailable', (g) => g.policy?.maxUnavailable, isAmount, 'an integer >= 0 or a percentage up to "100%"'],
  ['startupTimeoutSeconds', (g) => g.policy?.startupTimeoutSeconds, isSeconds, 'a finite number of seconds >= 0'],
  ['orphanMinAgeSeconds', (g) => g.policy?.orphanMinAgeSeconds, isSeconds, 'a finite number of seconds >= 0'],
];

/** Why the group's stored size or policy cannot be read, or undefined when every value can. */
export function unreadablePolicy(group: GroupTarget): string | undefined {
  const problems = CHECKS.flatMap(([field, read, valid, expected]) => {
    const value = read(group);
    return valid(value) ? [] : [`${field} is ${describe(value)}, not ${expected}`];
  });
  if (problems.length === 0) return undefined;
  return `the stored configuration cannot be read (${problems.join('; ')}): nothing is created or deleted until a valid configuration is applied`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value) ?? String(value);
}
