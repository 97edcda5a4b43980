/** The controller folder's public surface: other folders import from here, never from its files. */
export * from './apply.js';
export * from './delete.js';
export * from './next-cluster.js';
export * from './pass.js';
export * from './reconcile.js';
export * from './scheduler.js';
export * from './service-passes.js';
export * from './service.js';
export * from './spec-hash.js';
export * from './sweep.js';
export * from './tag-limits.js';
export * from './wait.js';
export * from './plan/index.js';
export * from './leased-passes.js';
