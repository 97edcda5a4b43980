export * from './types.js';
export { LevelStore, type LevelStoreOptions } from './level-store.js';
export { MemoryStore, MemoryState, type MemoryStoreOptions } from './memory-store.js';
