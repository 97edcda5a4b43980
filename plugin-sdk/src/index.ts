export * from './schemas.js';
export * from './define.js';
export * from './validate.js';
export type { WorkerTask, WorkerAnswer, ThreadRequest, ThreadAnswer } from './worker.js';
export * from './retry.js';
export * from './plugin-error.js';
export * from './error-codes.js';
export * from './tag-escape.js';
export * from './contract.js';
