/** The lib folder's public surface: other folders import from here, never from its files. */
export * from './atomic.js';
export * from './fetch.js';
export * from './integrity.js';
export * from './tokens.js';
export * from './unpack.js';
export * from './tree-digest.js';
export * from './private.js';
export * from './version.js';
