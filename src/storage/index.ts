/** Public face of the storage layer: chunks, object stores, the label index, the chunk store. */
export { MemChunk, DEFAULT_CHUNK_OPTIONS, CHUNK_FORMAT_VERSION, type ByteRange, type ChunkOptions, type ReadAhead, type TimeSpan } from './chunk.js';
export type { BlockView } from './block.js';
export type { BlockFilter, BlockSource } from './iterator.js';
export { lowerBound } from './iterator.js';
export type { CodecName } from './codec.js';
export { FsObjectStore, type ObjectStore } from './objects.js';
export { LabelIndex, type ChunkRef, type IndexStats, type SeriesInfo } from './label-index.js';
export { ChunkStore, chunkObjectKey, StoredChunk, type ChunkStoreOptions, type OpenOptions, type SeriesChunkRefs } from './chunk-store.js';
