/**
 * Every error Kadende raises, once: its code, HTTP status, CLI exit code and
 * message template, in the manner of fastify's lib/errors.js. A code is a
 * promise to operators and programs that match on it: never reuse or rename
 * one. docs/ERRORS.md explains each (what it means, what to do), and
 * errors/catalogue.test.ts fails when the two drift apart.
 *
 * Exit codes: 2 for input the operator can fix (arguments, files, plugin
 * references), 1 for everything else. Statuses of 500 and above are logged by
 * the API as failures of the daemon; the others are the caller's to fix.
 */

interface Entry {
  status: number;
  exit: 1 | 2;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  message: (...args: any[]) => string;
}

const input = <A extends unknown[]>(message: (...args: A) => string, status = 400) => ({ status, exit: 2 as const, message });
const failure = <A extends unknown[]>(message: (...args: A) => string, status = 500) => ({ status, exit: 1 as const, message });
const as = (text: string) => text;

export const CATALOGUE = {
  // Anything without a code of its own: a bug, or a failure nothing anticipated.
  KADENDE_ERR_UNEXPECTED: failure((detail: string) => `unexpected error: ${detail}`),

  // The command line and configuration files.
  KADENDE_ERR_ARGUMENT: input(as),
  KADENDE_ERR_CONFIG_READ: input((file: string, reason: string) => `cannot read ${file}: ${reason}`),
  KADENDE_ERR_CONFIG_INVALID: input(as),
  KADENDE_ERR_CLI_CONFIG: input((file: string, problem: string) => `${file}: ${problem}`),
  KADENDE_ERR_ENV_INVALID: input(
    (name: string, value: string, expected: string) => `environment variable ${name}=${JSON.stringify(value)} is invalid: must be ${expected}`,
    500,
  ),

  // Clusters and their reconciles.
  KADENDE_ERR_CLUSTER_NOT_FOUND: failure((detail: string) => detail, 404),
  KADENDE_ERR_CLUSTER_NAME_TAKEN: input(
    (file: string, name: string, holder: string, wanted?: string) =>
      `${file}: cluster name "${name}" is already used by cluster ${holder}${wanted ? `, not ${wanted}` : ''}`,
    409,
  ),
  KADENDE_ERR_CLUSTER_DELETING: input(
    (name: string, renamed: string) => `cluster ${name} is being deleted and cannot be renamed to ${renamed}; apply it under its name (the delete goes on with the new configuration)`,
    409,
  ),
  KADENDE_ERR_CLUSTER_HELD: failure(
    (name: string, hostId: string, address?: string) =>
      `cluster ${name} is held by host ${hostId}${address ? ` (${address})` : ''}: only the holder of its lease reconciles or deletes it; go through a daemon with --server${address ? ` ${address}` : ''}`,
    409,
  ),
  KADENDE_ERR_CLUSTER_DELETE_INCOMPLETE: failure((name: string, why: string) => `cluster ${name}: ${why}`),
  KADENDE_ERR_RECONCILE_STUCK: failure((name: string, reasons: string) => `cluster ${name} cannot converge without an operator: ${reasons}`),
  KADENDE_ERR_PASS_INCOMPLETE: failure((name: string, what: string) => `cluster ${name} is not reconciled: ${what}`),
  KADENDE_ERR_RECONCILE_TIMEOUT: failure((name: string, seconds: number) => `cluster ${name} did not converge within ${seconds} s`, 504),
  KADENDE_ERR_DESCRIBE: failure(as),

  // The embedded store.
  KADENDE_ERR_STORE_LOCKED: failure((directory: string, daemonUrl?: string) =>
    daemonUrl
      ? `the store in ${directory} is in use by the \`kadende daemon\` at ${daemonUrl}: talk to it with --server ${daemonUrl}, or use another --data-dir`
      : `the store in ${directory} is in use by another process (a running \`kadende daemon\`?): talk to it with --server URL, or use another --data-dir`,
  ),
  KADENDE_ERR_STORE_NOT_FOUND: failure(
    (directory: string) =>
      `no store in ${directory}: nothing was applied with this data dir (pick it with --data-dir or KADENDE_DATA_DIR, or talk to a daemon with --server URL)`,
    404,
  ),
  KADENDE_ERR_STORE_CONFLICT: failure(
    (journal: string) => `another writer changed ${journal} since this host last read it; the change was refused (the next pass starts from the new state)`,
    409,
  ),
  KADENDE_ERR_LEASE_LOST: failure(
    (clusterId: string, hostId: string) => `host ${hostId} no longer holds the lease of cluster ${clusterId}: it stops working on it (another host takes over)`,
    409,
  ),
  KADENDE_ERR_STORE_DISCONNECTED: failure(
    (url: string, since: string) => `the NATS store at ${url} is unreachable since ${since}: this host does no work until it reconnects`,
    503,
  ),
  KADENDE_ERR_NO_HOLDER: failure(
    (cluster: string) => `no host holds cluster ${cluster}'s lease yet: a host takes it within a lease round (a third of --lease-ttl); retry then`,
    503,
  ),
  KADENDE_ERR_IMPORT_INVALID: input(
    (file: string, problems: string[]) => `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${file}, nothing imported:\n  ${problems.join('\n  ')}`,
  ),
  KADENDE_ERR_IMPORT_NOT_EMPTY: input(
    (target: string, clusters: number) =>
      `${target} already holds ${clusters} cluster${clusters === 1 ? '' : 's'}: an import goes into an empty store (give --force to replace clusters of the same id and keep the others)`,
    409,
  ),
  KADENDE_ERR_IMPORT_INSTALLATION: input(
    (target: string, theirs: string, exported: string) =>
      `${target} is installation ${theirs}, the export is of installation ${exported}: its resources would be another installation's here (halted, never deleted); import into an empty store instead`,
    409,
  ),
  KADENDE_ERR_STORE_OPEN: failure((directory: string, reason: string) => `cannot open the store in ${directory}: ${reason}`),

  // The HTTP API, and the CLI as its client.
  KADENDE_ERR_TOKEN_FILE: input(as),
  KADENDE_ERR_UNAUTHORIZED: failure(as, 401),
  KADENDE_ERR_NOT_FOUND: failure(as, 404),
  KADENDE_ERR_METHOD_NOT_ALLOWED: input(as, 405),
  KADENDE_ERR_REQUEST_TOO_LARGE: input(as, 413),
  KADENDE_ERR_REQUEST_HEADERS_TOO_LARGE: input(as, 431),
  KADENDE_ERR_REQUEST_TIMEOUT: input(as, 408),
  KADENDE_ERR_UNSUPPORTED_MEDIA_TYPE: input(as, 415),
  KADENDE_ERR_PRECONDITION_FAILED: input(as, 412),
  KADENDE_ERR_REQUEST_INVALID: input((detail: string) => `invalid request: ${detail}`),
  KADENDE_ERR_SERVER: failure((origin: string, status: number) => `the daemon at ${origin} answered HTTP ${status}`, 502),
  KADENDE_ERR_SERVER_UNREACHABLE: failure((origin: string, reason: string) => `cannot reach the kadende daemon at ${origin}: ${reason}`, 502),
  KADENDE_ERR_STREAM_CUT: failure((origin: string, reason: string) => `the event stream from ${origin} was cut: ${reason}`, 502),
  KADENDE_ERR_NATS_UNREACHABLE: failure((url: string, reason: string) => `cannot reach NATS at ${url}: ${reason}`, 502),

  // Calls into a plugin's worker pool: `plugin <name>@<version>: <method> failed: <detail>`.
  KADENDE_ERR_PLUGIN_CLOSED: failure(as),
  KADENDE_ERR_PLUGIN_REQUEST: failure(as),
  KADENDE_ERR_PLUGIN_TIMEOUT: failure(as, 504),
  KADENDE_ERR_PLUGIN_THREW: failure(as, 502),
  KADENDE_ERR_PLUGIN_BAD_RESPONSE: failure(as, 502),
  KADENDE_ERR_PLUGIN_CRASHED: failure(as, 502),
  KADENDE_ERR_PLUGIN_OUT_OF_MEMORY: failure(as, 502),
  KADENDE_ERR_PLUGIN_MODULE: failure(as, 502),
  KADENDE_ERR_PLUGIN_LOAD: input(as),
  KADENDE_ERR_PLUGIN_LIMIT_SETTING: input(
    (variable: string, value: string) => `${variable}="${value}" is not a plugin limit ceiling (expected a whole number of at least 1)`,
  ),

  KADENDE_ERR_PLUGIN_IN_FLIGHT_SETTING: input(
    (source: string, entry: string, why: string) =>
      `${source}: "${entry}" ${why} (expected NAME=N entries separated by commas, N a whole number of at least 1, e.g. aws=20,gcp=8)`,
  ),

  KADENDE_ERR_PLUGIN_ISOLATION_SETTING: input(
    (value: string) => `KADENDE_PLUGIN_ISOLATION="${value}" is not a plugin isolation (expected sandbox or in-process)`,
  ),

  // Finding, fetching, verifying and unpacking plugins.
  KADENDE_ERR_PLUGIN_MANIFEST: input(as),
  KADENDE_ERR_PLUGIN_NOT_FOUND: input(as),
  KADENDE_ERR_PLUGIN_NO_MATCHING_VERSION: input(as),
  KADENDE_ERR_PLUGIN_PIN_UNAVAILABLE: failure(as),
  KADENDE_ERR_PLUGIN_INTEGRITY: failure(as),
  KADENDE_ERR_INTEGRITY_FORMAT: input((value: string) => `"${value}" is not an integrity string (expected sha512-<base64>)`),
  KADENDE_ERR_PLUGIN_UNSIGNED: failure(as),
  KADENDE_ERR_PLUGIN_SIGNATURE: failure(as),
  KADENDE_ERR_PLUGIN_UNREACHABLE: failure((label: string, url: string, reason: string) => `${label}: cannot fetch ${url}: ${reason}`, 502),
  KADENDE_ERR_PLUGIN_DOWNLOAD: failure(as, 502),
  KADENDE_ERR_PLUGIN_URL_REFUSED: input(
    (label: string, url: string, file: boolean) =>
      `${label}: ${url} is refused: plugin URLs here are http(s) only${file ? ' (the daemon takes file: URLs when started with KADENDE_ALLOW_FILE_PLUGIN_URLS=1)' : ''}`,
  ),
  KADENDE_ERR_TARBALL_UNSAFE: failure(as, 400),
  KADENDE_ERR_SIGN_KEY: input(as),
  KADENDE_ERR_PLUGIN_IMPORT: input(as),
  KADENDE_ERR_PLUGIN_CONTRACT: failure(as),
  KADENDE_ERR_SDK_NOT_BUILT: failure(as),
  KADENDE_ERR_TRUSTED_KEYS: input(as),

  // Plugin registries, as client and as server.
  KADENDE_ERR_REGISTRY_UNREACHABLE: failure(as, 502),
  KADENDE_ERR_REGISTRY_BAD_RESPONSE: failure(as, 502),
  KADENDE_ERR_REGISTRY_BAD_NAME: input((name: string) => `"${name}" is not a plugin name`),
  KADENDE_ERR_REGISTRY_PUBLISH: input(as),
  KADENDE_ERR_REGISTRY_VERSION_EXISTS: input(as, 409),
  KADENDE_ERR_REGISTRY_UNAUTHORIZED: failure(as, 401),
} as const satisfies Record<string, Entry>;

export type ErrorCode = keyof typeof CATALOGUE;
export type MessageArgs<C extends ErrorCode> = Parameters<(typeof CATALOGUE)[C]['message']>;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(CATALOGUE, code);
}
