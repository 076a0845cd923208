export * from './codes.js';
export * from './compact-deltas.js';
export * from './frames.js';
export * from './parse.js';
export * from './parts.js';
export * from './server-frame-check.js';
export * from './text.js';
