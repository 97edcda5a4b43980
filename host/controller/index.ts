/** The controller folder's public surface: other folders import from here, never from its files. */
export * from './plan.js';
export * from './reconcile.js';
export * from './scheduler.js';
export * from './service.js';
export * from './spec-hash.js';
