/** The store folder's public surface: other folders import from here, never from its files. */
export * from './level-store.js';
export * from './memory-store.js';
export * from './types.js';
export * from './nats-store.js';
export * from './nats-leases.js';
export * from './lease-holders.js';
export * from './connection-watch.js';
export * from './transfer.js';
