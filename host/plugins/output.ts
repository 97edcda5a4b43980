/**
 * What a plugin prints, as the host logs it: one structured line per line of
 * output, naming the plugin, the stream and the thread, each line cut to
 * MAX_LINE characters and the whole bounded to BUDGET characters a minute per
 * plugin (past it, lines are dropped and counted, and one line says how many).
 * Never raw on the host's stdout, so `-o json` and the daemon's JSON log stay clean.
 */

export interface PluginLogLine {
  level: 'info' | 'warn';
  time: string;
  component: 'plugin';
  plugin: string;
  stream: 'stdout' | 'stderr' | 'host';
  thread?: number;
  msg: string;
}

export type PluginLogSink = (line: PluginLogLine) => void;

/** The default sink: JSON lines on the host's stderr. */
export const stderrSink: PluginLogSink = (line) => {
  process.stderr.write(`${JSON.stringify(line)}\n`);
};

export const MAX_LINE = 4096;
export const BUDGET = 256 * 1024;
const WINDOW_MS = 60_000;

export class PluginOutput {
  private readonly partial = new Map<string, string>();
  private windowStart = Date.now();
  private used = 0;
  private dropped = 0;

  constructor(
    readonly plugin: string,
    private readonly sink: PluginLogSink = stderrSink,
  ) {}

  write(stream: 'stdout' | 'stderr', chunk: Buffer | string, thread: number): void {
    const key = `${stream}:${thread}`;
    const text = (this.partial.get(key) ?? '') + chunk.toString();
    const lines = text.split('\n');
    let rest = lines.pop()!;
    // A line with no end in sight is logged in MAX_LINE pieces, so a partial line stays bounded.
    while (rest.length > MAX_LINE) {
      lines.push(rest.slice(0, MAX_LINE));
      rest = rest.slice(MAX_LINE);
    }
    if (rest) this.partial.set(key, rest);
    else this.partial.delete(key);
    for (const line of lines) this.line(stream, line, thread);
  }

  private line(stream: 'stdout' | 'stderr', raw: string, thread: number): void {
    const now = Date.now();
    if (now - this.windowStart >= WINDOW_MS) this.reopen(now);
    const msg = raw.length > MAX_LINE ? `${raw.slice(0, MAX_LINE)}... [${raw.length - MAX_LINE} more characters cut]` : raw;
    if (this.used + msg.length > BUDGET) {
      if (this.dropped === 0) {
        const until = new Date(this.windowStart + WINDOW_MS).toISOString();
        this.sink({ level: 'warn', time: new Date(now).toISOString(), component: 'plugin', plugin: this.plugin, stream: 'host', msg: `the plugin's output passed ${BUDGET} characters this minute: its lines are dropped until ${until}` });
      }
      this.dropped += 1;
      return;
    }
    this.used += msg.length;
    this.sink({ level: stream === 'stderr' ? 'warn' : 'info', time: new Date(now).toISOString(), component: 'plugin', plugin: this.plugin, stream, thread, msg });
  }

  private reopen(now: number): void {
    this.reportDropped();
    this.windowStart = now;
    this.used = 0;
  }

  private reportDropped(): void {
    if (this.dropped === 0) return;
    this.sink({
      level: 'warn',
      time: new Date().toISOString(),
      component: 'plugin',
      plugin: this.plugin,
      stream: 'host',
      msg: `${this.dropped} line(s) of the plugin's output dropped: more than ${BUDGET} characters within a minute`,
    });
    this.dropped = 0;
  }

  /** Logs what is left: partial lines and the count of dropped ones. */
  flush(): void {
    for (const [key, rest] of this.partial) {
      const [stream, thread] = key.split(':') as ['stdout' | 'stderr', string];
      this.line(stream, rest, Number(thread));
    }
    this.partial.clear();
    this.reportDropped();
  }
}
