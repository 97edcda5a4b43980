/**
 * google-gax computes a path from `__dirname` when its gRPC module loads (for
 * .proto files the REST transport never reads). In the bundled plugin, an ES
 * module, there is no `__dirname`, so loading would throw. This module is
 * imported before the client library: it gives the worker thread a
 * `__dirname` (the bundle's folder) when there is none. The bundle's own
 * require() comes from the build script's banner.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const scope = globalThis as { __dirname?: string; __filename?: string };
if (scope.__dirname === undefined) {
  scope.__filename = fileURLToPath(import.meta.url);
  scope.__dirname = dirname(scope.__filename);
}
