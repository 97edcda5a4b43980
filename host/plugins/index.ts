export * from './manifest.js';
export * from './pool.js';
export * from './resolve.js';
export * from './host.js';
