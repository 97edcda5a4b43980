/** `kadende version`: this CLI's version, and with --server (or $KADENDE_SERVER) the daemon's. */
import type { Command } from 'commander';
import { ApiClient } from '../../api/index.js';
import { KADENDE_VERSION } from '../../../lib/index.js';
import { serverUrl } from '../context.js';
import { globals, out } from '../program.js';

export function registerVersion(program: Command): void {
  program
    .command('version')
    .description("this kadende's version; with --server, the daemon's too")
    .action(async () => {
      const url = serverUrl(globals());
      let server: { url: string; version: string } | undefined;
      if (url) {
        // /healthz needs no token.
        const client = new ApiClient(url);
        try {
          server = { url, version: (await client.health()).version ?? 'unknown (a daemon older than its version field)' };
        } finally {
          await client.close();
        }
      }
      out({ client: { version: KADENDE_VERSION, node: process.version }, ...(server ? { server } : {}) }, () =>
        [`Client Version: ${KADENDE_VERSION} (Node.js ${process.version})`, ...(server ? [`Server Version: ${server.version} (${server.url})`] : [])].join('\n'),
      );
    });
}
