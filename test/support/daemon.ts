/** A real daemon in this process, on a temporary data dir and a free port, with the built-in plugins. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startDaemon, type Daemon, type DaemonOptions } from '../../host/daemon.js';
import { PluginHost } from '../../host/plugins/host.js';
import { localSources, PluginResolver } from '../../host/plugins/resolve.js';

export interface TestDaemon {
  daemon: Daemon;
  /** The temporary folder: the data dir is `data` in it; put resources beside it. */
  dir: string;
  stop(): Promise<void>;
}

export async function startTestDaemon(token: string, options: Partial<DaemonOptions> = {}): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'kadende-daemon-'));
  const daemon = await startDaemon({
    dataDir: join(dir, 'data'),
    plugins: new PluginHost(new PluginResolver(localSources())),
    token,
    logger: pino({ level: 'silent' }),
    port: 0,
    ...options,
  });
  return {
    daemon,
    dir,
    async stop() {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
