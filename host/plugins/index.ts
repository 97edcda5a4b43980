/** The plugins folder's public surface: other folders import from here, never from its files. */
export * from './builtin-index.js';
export * from './cache.js';
export * from './chain.js';
export * from './host.js';
export * from './load-check.js';
export * from './manifest.js';
export * from './output.js';
export * from './pool.js';
export * from './resolve.js';
export * from './sources.js';
export * from './threads.js';
export * from './verify.js';
export * from './limiter.js';
