/**
 * The front of the push path: body decoding (protobuf+snappy, JSON, gzip/deflate), label
 * handling, validation with Loki's messages, `detected_level` discovery, tenant resolution and
 * ingestion rate limits.
 */
export type { DiscardedCount, PushEntry, PushRequest, PushStream, ValidatedPush } from './types.js';
export { decodePush, type DecodeOptions, type PushBodyHeaders } from './decode.js';
export { validatePush, otlpLabelName, DISCARD_REASONS } from './validate.js';
export { DETECTED_LEVEL, levelFromLine, normalizeLevel, streamLevel, withDetectedLevel } from './levels.js';
export { SERVICE_NAME_LABEL, UNKNOWN_SERVICE } from './streams.js';
export { PUSH_PROTO, PushRequestMessage } from './proto.js';
export {
  singleTenant, queryTenants, validateTenantID, NO_ORG_ID, MULTIPLE_ORG_IDS, DEFAULT_NO_AUTH_TENANT,
  type TenantAuth,
} from './tenant.js';
export { IngestionRateLimiter, newStreamRateLimiter } from './ratelimit.js';
export {
  formatPushErrors, formatStreamFailures, bodyTooLarge, ingestionRateLimited, streamRateLimited, tooFarBehind,
  formatByteSize, MISSING_STREAMS, MAX_REPORTED_STREAM_ERRORS, type StreamEntryFailure,
} from './messages.js';
