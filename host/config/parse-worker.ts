/**
 * The worker thread of config-parser.ts: parses one configuration at a time,
 * so that a large or hostile one costs this thread, not the daemon's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { ConfigError } from './errors.js';
import { MAX_GROUP_SIZE_ENV } from './limits.js';
import { loadClusterConfigPartially } from './load.js';
import { toPortable } from './portable.js';
import type { ParseReply, ParseRequest } from './config-parser.js';

parentPort!.on('message', ({ id, text, file, maxGroupSize }: ParseRequest) => {
  // The limit is read per load from the environment: the host's value at the time of the request.
  if (maxGroupSize === undefined) delete process.env[MAX_GROUP_SIZE_ENV];
  else process.env[MAX_GROUP_SIZE_ENV] = maxGroupSize;
  let reply: ParseReply;
  try {
    reply = { id, ok: true, config: toPortable(loadClusterConfigPartially(text, file)) };
  } catch (error) {
    if (error instanceof ConfigError) reply = { id, ok: false, issues: error.issues };
    else reply = { id, ok: false, error: { name: (error as Error).name, message: (error as Error).message, code: (error as { code?: string }).code } };
  }
  parentPort!.postMessage(reply);
});
