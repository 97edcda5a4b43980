/** The record, event and configuration types every part of Kadende shares. Types only: this folder imports nothing of Kadende's. */
export type * from './config.js';
export type * from './events.js';
export type * from './records.js';
