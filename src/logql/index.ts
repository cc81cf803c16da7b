/** LogQL: the query language's public API (syntax now; the pipeline and engine add theirs). */
export * from './syntax/index.js';
