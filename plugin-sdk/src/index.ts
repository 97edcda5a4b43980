export * from './schemas.js';
export * from './define.js';
export * from './validate.js';
export type { WorkerTask, WorkerAnswer } from './worker.js';
