// The progress renderer on a terminal (redrawn in place) and off one (a line per change), fed
// the reports a wait's passes make.
import { describe, expect, it } from 'vitest';
import type { GroupReport, WaitProgress } from '../../host/controller/index.js';
import { groupLine, startProgress } from '../../host/cli/progress.js';

function progress(pass: number, groups: Array<Pick<GroupReport, 'path' | 'actions' | 'status'>>): WaitProgress {
  return { pass, elapsedMs: 0, report: { clusterId: 'c', clusterName: 'c', converged: false, durationMs: 0, groups: groups.map((g) => ({ plugin: 'file@0.1.0', retired: false, ...g })) } };
}
const status = (healthy: number, desired: number, reason: 'converged' | 'progressing' = 'progressing', message = `${healthy} of ${desired} ready`) =>
  ({ reason, message, desired, actual: healthy, healthy, unhealthy: 0, failed: 0, outdated: 0, halted: false, converged: reason === 'converged' }) as GroupReport['status'];
const creating = (n: number) => Array.from({ length: n }, () => ({ kind: 'create' as const, cause: 'too few' }));

function capture(isTTY: boolean) {
  let text = '';
  let clock = 0;
  const bar = startProgress({ title: 'reconcile shop', stream: { write: (t: string) => (text += t) }, isTTY, tickMs: 0, now: () => clock });
  return { bar, text: () => text, advance: (ms: number) => (clock += ms) };
}

describe('progress on a terminal', () => {
  it('redraws the title, the clock and a line per group in place', () => {
    const { bar, text, advance } = capture(true);
    expect(text()).toBe('reconcile shop: 0.0s\n');
    advance(1200);
    bar.update(progress(1, [{ path: 'web', actions: creating(2), status: status(1, 3) }, { path: 'db', actions: [], status: status(1, 1, 'converged') }]));
    advance(1000);
    bar.update(progress(2, [{ path: 'web', actions: [], status: status(3, 3, 'converged') }, { path: 'db', actions: [], status: status(1, 1, 'converged') }]));
    bar.stop();
    // Each redraw moves the cursor up over the block drawn before and clears it.
    const frames = text().split(/\x1b\[\d+A\x1b\[0J/);
    expect(frames).toEqual([
      'reconcile shop: 0.0s\n',
      'reconcile shop: 1.2s, pass 1\n  web: 1/3 ready; created 2 (progressing: 1 of 3 ready)\n  db: 1/1 ready (converged)\n',
      'reconcile shop: 2.2s, pass 2\n  web: 3/3 ready (converged)\n  db: 1/1 ready (converged)\n',
    ]);
    expect(text()).toContain('\x1b[3A');
  });

  it("cuts lines to the terminal's width, so that a redraw climbs exactly over what it drew", () => {
    let text = '';
    const bar = startProgress({ title: 'reconcile shop', stream: { write: (t: string) => (text += t), columns: 30 }, isTTY: true, tickMs: 0, now: () => 0 });
    bar.update(progress(1, [{ path: 'web', actions: creating(2), status: status(1, 3) }]));
    const frames = text.split(/\x1b\[\d+A\x1b\[0J/);
    expect(frames[1]).toBe('reconcile shop: 0.0s, pass 1\n  web: 1/3 ready; created 2 …\n');
    expect(frames[1]!.split('\n').every((line) => line.length < 30)).toBe(true);
  });
});

describe('progress without a terminal', () => {
  it('appends a line per group only when the line changes, never per tick', () => {
    const { bar, text, advance } = capture(false);
    advance(500);
    bar.update(progress(1, [{ path: 'web', actions: creating(3), status: status(3, 3, 'progressing', '3 of 3 ready; confirming 3') }]));
    advance(1000);
    bar.update(progress(2, [{ path: 'web', actions: [], status: status(3, 3, 'converged') }]));
    advance(1000);
    bar.update(progress(3, [{ path: 'web', actions: [], status: status(3, 3, 'converged') }]));
    expect(text()).toBe('[0.5s] reconcile shop: web: 3/3 ready; created 3 (progressing: 3 of 3 ready; confirming 3)\n[1.5s] reconcile shop: web: 3/3 ready (converged)\n');
    expect(text()).not.toContain('\x1b');
  });

  it('counts what failed apart from what was done', () => {
    const group: GroupReport = {
      path: 'web',
      plugin: 'p',
      retired: false,
      actions: [...creating(3), { kind: 'delete', cause: 'x' }],
      status: status(1, 3),
      failures: [
        { call: 'create', resourceId: 'a', code: 'E', message: 'm' },
        { call: 'create', resourceId: 'b', code: 'E', message: 'm' },
      ],
    };
    expect(groupLine(group)).toBe('web: 1/3 ready; created 1, 2 creates failed, deleted 1 (progressing: 1 of 3 ready)');
  });
});
