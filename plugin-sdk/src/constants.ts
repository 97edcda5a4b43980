/** Plain constants of the contract, kept apart from the schemas so a bundled plugin stays small. */
export const CONTRACT_VERSION = 1 as const;

/** Tags the host puts on every resource it creates. */
export const TAG_CLUSTER = 'kadende.cluster';
export const TAG_GROUP = 'kadende.group';
export const TAG_RESOURCE = 'kadende.resource';
export const TAG_SPEC = 'kadende.spec';
/** The installation (the store) that made the resource: another installation's resource is never ours to delete. */
export const TAG_INSTALLATION = 'kadende.installation';

export type PluginMethod = 'describe' | 'create' | 'delete';
export const PLUGIN_METHODS: readonly PluginMethod[] = ['describe', 'create', 'delete'];

/** The workerData that starts a worker thread's message loop (plugin-sdk/src/worker.ts). */
export const THREAD_MARK = 'kadende-plugin-thread';
