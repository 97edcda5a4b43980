/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command
 * line) one after the other and prints one table of figures. Benchmarks are
 * measurements, never pass/fail tests.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { BenchModule, BenchRow } from './harness.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

const rows: BenchRow[] = [];
for (const file of files) {
  process.stderr.write(`running ${file} ...\n`);
  const module = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
  rows.push(...(await module.run()));
}

const header = ['benchmark', 'metric', 'value', 'unit', 'note'];
const cells = rows.map((r) => [r.benchmark, r.metric, String(r.value), r.unit, r.note ?? '']);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const c of cells) console.log(line(c));
console.log(`\nnode ${process.version}, ${(await import('node:os')).cpus().length} cpus, ${new Date().toISOString()}`);
