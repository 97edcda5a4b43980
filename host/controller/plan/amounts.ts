/** How policy amounts and ages are read. */

/** `3` or `"25%"` of size; percentages round down (`roundUp` for surge, as Kubernetes does). */
export function resolveAmount(value: number | string, size: number, roundUp = false): number {
  if (typeof value === 'number') return value;
  const percent = Number(value.replace(/%$/, ''));
  const exact = (size * percent) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** Milliseconds since `iso`; a missing time counts as old enough for anything. */
export const ageMs = (iso: string | undefined, now: number) => (iso === undefined ? Infinity : now - Date.parse(iso));

export const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
