export { Ingester, walMarkKey } from './ingester.js';
export type { AppendedStream, AppendListener, MemoryChunkSpan, MemoryStreamChunks, IngestEntry, IngestStream, PushResult, StreamFailures, EntryFailure, IngesterDeps } from './ingester.js';
export { DEFAULT_INGESTER_CONFIG, type IngesterConfig } from './config.js';
