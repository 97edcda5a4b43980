/**
 * Whether a NATS store's connection is up, as its client sees it: the daemon is not ready, and
 * does no work (no plugin call, no commit, no lease round), while it is down, because every write
 * it made would be refused and another host may take its clusters over meanwhile.
 */
import type { NatsConnection } from '@nats-io/transport-node';

export interface ConnectionState {
  connected: boolean;
  /** When it last went down (ISO time), while it is down. */
  downSince?: string;
}

export class ConnectionWatch {
  private down?: Date;
  private readonly watching: Promise<void>;

  constructor(
    nc: NatsConnection,
    readonly url: string,
    private readonly onChange: (state: ConnectionState) => void = () => {},
  ) {
    this.watching = (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect' && !this.down) {
          this.down = new Date();
          this.onChange(this.state());
        } else if (status.type === 'reconnect' && this.down) {
          this.down = undefined;
          this.onChange(this.state());
        }
      }
    })().catch(() => {});
  }

  get connected(): boolean {
    return this.down === undefined;
  }

  state(): ConnectionState {
    return this.down ? { connected: false, downSince: this.down.toISOString() } : { connected: true };
  }

  /** Why the daemon is not ready, or undefined while connected. */
  notReadyReason(): string | undefined {
    if (!this.down) return undefined;
    return `lost the connection to the NATS store at ${this.url} at ${this.down.toISOString()}: doing no work until it reconnects`;
  }

  /** Resolves once the connection is closed (the status iterator ends with it). */
  closed(): Promise<void> {
    return this.watching;
  }
}
