// Test support for the whole workspace (see README.md). Framework-free: the adapter test apps live
// beside their suites.
export * from './build.js';
export * from './capture.js';
export * from './certs.js';
export { type Child, type JsonLine, killChildren, type StartChildOptions, startChild } from './child.mjs';
export * from './cleanup.js';
export * from './dead-letters.js';
export * from './forward-proxy.js';
export * from './http.js';
export * from './local.js';
export * from './otel.js';
export * from './outbox-contract.js';
export * from './outbox-host.js';
export * from './packed.js';
export * from './redis-server.js';
export * from './run-process.js';
export * from './scripted-server.js';
export * from './trackers.js';
export * from './wait.js';
export * from './warnings.js';
