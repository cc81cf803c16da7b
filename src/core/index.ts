export * from './time.js';
export * from './labels.js';
export * from './errors.js';
export * from './matchers.js';
export * from './regex.js';
export * from './iter.js';
export * from './limits.js';
