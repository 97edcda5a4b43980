/** `kadende store export | import`: a store's clusters, pins, records and events as JSON lines, to move between stores (host/store/transfer.ts). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { exportStore, importStore, parseExport } from '../../store/index.js';
import { kadendeError } from '../../../errors/index.js';
import { writeFileAtomic } from '../../../lib/index.js';
import { dataDir, openStore, storeUrl } from '../context.js';
import { globals, out } from '../program.js';

/** What the operator knows the store as: its NATS URL, or the LevelDB folder. */
const storeName = () => storeUrl(globals()) ?? join(dataDir(globals()), 'store');

export function registerStore(program: Command): void {
  const store = program.command('store').description('move a store\'s contents: export to JSON lines, import into another store (LevelDB or --store nats://)');
  store
    .command('export')
    .description('every cluster (with its plugin pins), resource record and event, as JSON lines (stdout, or --file)')
    .option('--file <file>', 'write here (atomically) instead of stdout')
    .action(async (flags: { file?: string }) => {
      const source = await openStore(globals(), false);
      try {
        const lines: string[] = [];
        for await (const line of exportStore(source)) {
          if (flags.file) lines.push(line);
          else if (!process.stdout.write(`${line}\n`)) await new Promise((resolve) => process.stdout.once('drain', resolve));
        }
        if (flags.file) {
          await writeFileAtomic(flags.file, lines.length ? `${lines.join('\n')}\n` : '');
          process.stderr.write(`exported ${lines.length} lines of ${storeName()} to ${flags.file}\n`);
        }
      } finally {
        await source.close();
      }
    });
  store
    .command('import')
    .description('write an export into this store (LevelDB, or --store nats://); every line is checked first, and nothing is written if one is wrong')
    .argument('<file>', 'the export (JSON lines); - for stdin')
    .option('--force', 'import into a store that already holds clusters: clusters of the same id are replaced, the others kept')
    .action(async (file: string, flags: { force?: boolean }) => {
      let text: string;
      try {
        text = readFileSync(file === '-' ? 0 : file, 'utf8');
      } catch (error) {
        throw kadendeError('KADENDE_ERR_CONFIG_READ', file, (error as Error).message);
      }
      const parsed = parseExport(text, file === '-' ? 'stdin' : file);
      const target = await openStore(globals(), true);
      try {
        const summary = await importStore(target, parsed, { force: flags.force, target: storeName() });
        out({ target: storeName(), installation: parsed.header.installation, ...summary }, () =>
          `imported ${summary.clusters} clusters, ${summary.resources} resource records and ${summary.events} events into ${storeName()}` +
          (summary.removedResources ? ` (${summary.removedResources} records of replaced clusters removed)` : ''),
        );
      } finally {
        await target.close();
      }
    });
}
