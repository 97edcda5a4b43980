/** What each bench module exports: `run()` resolving to rows of figures. */
export interface BenchRow {
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
  note?: string;
}

export type BenchModule = { run(): Promise<BenchRow[]> };

/** p-th percentile of unsorted samples. */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const round = (n: number, digits = 1) => Number(n.toFixed(digits));
