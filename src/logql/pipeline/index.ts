/**
 * The LogQL log pipeline: line filters, parsers, label filters and formatters run on every
 * entry a query reads, and the sample extractor of metric queries. Build once per query
 * (`buildPipeline`, `buildSampleExtractor`), specialise per stream (`forStream`), then call
 * `process` per entry.
 */
export {
  buildPipeline,
  labelsUsedByStages,
  reorderStages,
  type Pipeline,
  type ProcessedEntry,
  type StreamPipeline,
} from './pipeline.js';
export {
  buildSampleExtractor,
  canInjectVectorGrouping,
  type Sample,
  type SampleExtractor,
  type StreamSampleExtractor,
} from './extractor.js';
export type { BlockFilterFn, BlockLines } from './line-filters.js';
export { clearArray } from './stage.js';
export {
  ERROR_LABEL,
  ERROR_DETAILS_LABEL,
  PRESERVE_ERROR_LABEL,
  ERR_JSON,
  ERR_LOGFMT,
  ERR_LABEL_FILTER,
  ERR_SAMPLE_EXTRACTION,
  ERR_TEMPLATE_FORMAT,
} from './labels.js';
