/**
 * Progress of long work (`reconcile --wait`, `delete cluster`), on stderr so that stdout stays
 * the result, in the manner of `kubectl rollout status` and `terraform apply`: one line per
 * group (desired/ready, what the last pass did, why it is not done), the elapsed time.
 * On a terminal the lines are redrawn in place (and the clock ticks); otherwise a group's line
 * is appended only when it changes, never per tick. `-o json` prints no progress.
 */
import { clearScreenDown, moveCursor } from 'node:readline';
import type { GroupReport, WaitProgress } from '../controller/index.js';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** A terminal's width. */
  columns?: number;
}

export interface ProgressOptions {
  /** What is being done, e.g. `reconcile shop`. */
  title: string;
  stream?: ProgressStream;
  /** Default: the stream's own isTTY. */
  isTTY?: boolean;
  /** The clock's redraw interval on a terminal; 0: no ticking (tests). */
  tickMs?: number;
  now?: () => number;
}

export interface Progress {
  /** After each pass: what it found and did. */
  update(progress: WaitProgress): void;
  /** The work ended (however): stop the clock, leave the last lines as they are. */
  stop(): void;
}

const NO_PROGRESS: Progress = { update: () => {}, stop: () => {} };

/** The progress a command prints: none for programs (-o json, -o yaml). */
export function progressFor(machine: boolean, options: ProgressOptions): Progress {
  return machine ? NO_PROGRESS : startProgress(options);
}

export function startProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = options.isTTY ?? stream.isTTY === true;
  const now = options.now ?? Date.now;
  const started = now();
  return tty ? redrawn(stream, options, now, started) : appended(stream, options, now, started);
}

/** Without a terminal: a line per group when its line changes. */
function appended(stream: ProgressStream, options: ProgressOptions, now: () => number, started: number): Progress {
  const last = new Map<string, string>();
  return {
    update({ report }) {
      for (const group of report.groups) {
        const line = groupLine(group);
        if (last.get(group.path) === line) continue;
        last.set(group.path, line);
        stream.write(`[${elapsed(now() - started)}] ${options.title}: ${line}\n`);
      }
    },
    stop() {},
  };
}

/** On a terminal: the title with the clock, then a line per group, redrawn in place. */
function redrawn(stream: ProgressStream, options: ProgressOptions, now: () => number, started: number): Progress {
  let lines: string[] = [];
  let pass = 0;
  let drawn = 0;
  const draw = () => {
    if (drawn > 0) {
      moveCursor(stream as NodeJS.WritableStream, 0, -drawn);
      clearScreenDown(stream as NodeJS.WritableStream);
    }
    // Cut to the terminal's width: a wrapped line would take two rows, and the redraw would climb one too few.
    const fit = (line: string) => (stream.columns && line.length >= stream.columns ? `${line.slice(0, stream.columns - 2)}…` : line);
    const block = [`${options.title}: ${elapsed(now() - started)}${pass > 0 ? `, pass ${pass}` : ''}`, ...lines.map((line) => `  ${line}`)].map(fit);
    stream.write(`${block.join('\n')}\n`);
    drawn = block.length;
  };
  draw();
  const tickMs = options.tickMs ?? 1000;
  const clock = tickMs > 0 ? setInterval(draw, tickMs) : undefined;
  clock?.unref();
  return {
    update(progress) {
      pass = progress.pass;
      lines = progress.report.groups.map(groupLine);
      draw();
    },
    stop() {
      if (clock) clearInterval(clock);
    },
  };
}

/** `web: 2/3 ready; created 1, deleted 1 (progressing)`: what a group is, what the pass did, and why it is not done. */
export function groupLine(group: GroupReport): string {
  const status = group.status;
  const name = group.retired ? `${group.path} (removed)` : group.path;
  if (!status) return `${name}: not observed`;
  const ready = status.reason === 'describe-failed' ? `${status.desired} desired` : `${status.healthy}/${status.desired} ready`;
  const did = pastTense(group);
  const why = status.reason === 'converged' ? 'converged' : `${status.reason}: ${status.message}`;
  return `${name}: ${ready}${did ? `; ${did}` : ''} (${why})`;
}

/** What a pass did to a group, counted: "created 2, deleted 1 orphan, 1 create failed". */
function pastTense(group: GroupReport): string {
  const count = (...kinds: string[]) => group.actions.filter((a) => kinds.includes(a.kind)).length;
  const failed = (call: string) => (group.failures ?? []).filter((f) => f.call === call).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const parts: Array<[number, string]> = [
    [count('create', 'resume-create') - failed('create'), `created ${count('create', 'resume-create') - failed('create')}`],
    [failed('create'), `${plural(failed('create'), 'create')} failed`],
    [count('delete') - failed('delete'), `deleted ${count('delete') - failed('delete')}`],
    [failed('delete'), `${plural(failed('delete'), 'delete')} failed`],
    [count('delete-orphan') - failed('delete-orphan'), `deleted ${plural(count('delete-orphan') - failed('delete-orphan'), 'orphan')}`],
    [failed('delete-orphan'), `${plural(failed('delete-orphan'), 'orphan delete')} failed`],
    [count('forget'), `dropped ${plural(count('forget'), 'record')}`],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([, text]) => text)
    .join(', ');
}

/** 4.2s, 1m05s. */
export function elapsed(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const whole = Math.floor(s);
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}
