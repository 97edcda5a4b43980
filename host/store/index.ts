export * from './types.js';
export { LevelStore, type LevelStoreOptions } from './level-store.js';
