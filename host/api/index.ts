/** The api folder's public surface: other folders import from here, never from its files. */
export * from './auth.js';
export * from './client.js';
export * from './errors.js';
export * from './metrics.js';
export * from './server.js';
export * from './sse.js';
export * from './ui.js';
export * from './lease-metrics.js';
export * from './forward.js';
