/** The events folder's public surface: other folders import from here, never from its files. */
export * from './event.js';
export * from './feed.js';
export * from './publisher.js';
