/** The LogQL engine: evaluation of parsed LogQL over a `DataSource`. */
export { Engine } from './engine.js';
export {
  type DataSource, type EngineLimits, type EntryBatches, type LineBlock, type LineBlockFilter, type QueryParams,
  type QueryResult, type QueryStats, type ResultStream, type SelectRequest, type SeriesPoint, type StreamEntries,
  type StreamEntry, type StreamSlice,
  newQueryStats,
} from './types.js';
