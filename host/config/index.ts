/** Cluster configuration: load, validate, flatten, and check plugin properties. */
export { loadClusterConfig, loadClusterConfigPartially, type LoadedConfig } from './load.js';
export { checkResourceProperties } from './properties.js';
export { ConfigError, CONFIG_INVALID, formatIssue, formatPath } from './errors.js';
export type { Anchor, DocumentPath, Position } from './locate.js';
export * from './schema.js';
export * from './types.js';
export { ConfigParser } from './config-parser.js';
