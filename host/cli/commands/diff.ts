/** `kadende diff -f FILE`: the configuration change field by field against what is stored, then the planned actions. */
import type { Command } from 'commander';
import { withService } from '../context.js';
import { draftFromFile, pendingActions, renderChanges } from '../draft.js';
import { globals, out } from '../program.js';
import { renderReport } from '../render.js';

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('show how a configuration differs from the stored cluster, field by field, and what a reconcile would then do; stores nothing')
    .requiredOption('-f, --file <file>', 'the configuration (YAML or JSON; - for stdin)')
    .option('--upgrade-plugins', 'as apply --upgrade-plugins would pin')
    .option('--detailed-exitcode', 'exit 0 when nothing would change, 2 when the configuration or the resources would, 1 on an error')
    .action(async (options: { file: string; upgradePlugins?: boolean; detailedExitcode?: boolean }) => {
      const draft = await withService(globals(), (s) => draftFromFile(s, options.file, { upgradePlugins: options.upgradePlugins }), { emptyWhenMissing: true });
      out({ id: draft.next.id, name: draft.next.name, exists: draft.existing !== undefined, changes: draft.changes, plan: draft.plan }, () =>
        [renderChanges(draft), '', renderReport(draft.plan, 'Plan for')].join('\n'),
      );
      if (options.detailedExitcode && (draft.changes.length > 0 || pendingActions(draft.plan) > 0)) process.exitCode = 2;
    });
}
