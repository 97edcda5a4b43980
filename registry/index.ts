/** The registry folder's public surface: other folders import from here, never from its files. */
export * from './client.js';
export * from './document.js';
export * from './pack.js';
export * from './server.js';
export * from './tarball.js';
