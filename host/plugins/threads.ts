/**
 * The worker-thread pool lives in plugin-sdk (plugin-sdk/src/threads.ts): it
 * runs inside each plugin's sandbox process (sandbox.ts), which may read the
 * SDK's runtime and nothing of the host's. The host uses it directly only for
 * the explicit in-process isolation mode.
 */
export { ThreadPool, type ThreadOutcome, type ThreadPoolOptions } from '@kadende/plugin-sdk/threads';
