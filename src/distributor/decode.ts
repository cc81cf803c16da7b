/**
 * The push body → `PushRequest`: Content-Encoding first (gzip/deflate inflated under the
 * decompressed-size limit), then the media type picks JSON or snappy-compressed protobuf.
 * Mirrors the order of Loki's checks so that a request with several problems gets the
 * same error.
 */
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { LokiError, goQuote } from '../core/index.js';
import { decodeJsonPush } from './json.js';
import { decompressedTooLarge } from './messages.js';
import { parseMediaType } from './mime.js';
import { decodeProtoPush } from './proto.js';
import { decodeSnappyBlock } from './snappy.js';
import { StreamCollector } from './streams.js';
import type { PushRequest } from './types.js';

export interface PushBodyHeaders {
  contentType?: string;
  contentEncoding?: string;
  /** `/api/prom/push`: JSON bodies use the legacy shape. */
  legacy: boolean;
}

export interface DecodeOptions {
  /** Limit on the body after Content-Encoding and after snappy; 0 means none. */
  maxDecompressedBytes: number;
  /** The tenant's `Limits.discoverServiceName`. */
  discoverServiceName: readonly string[];
}

const JSON_MEDIA_TYPE = 'application/json';

export function decodePush(body: Buffer, headers: PushBodyHeaders, opts: DecodeOptions): PushRequest {
  const encoding = headers.contentEncoding ?? '';
  // `snappy` needs nothing here: protobuf bodies are snappy blocks whatever the header says.
  if (encoding !== '' && encoding !== 'snappy' && encoding !== 'gzip' && encoding !== 'deflate') {
    throw new LokiError('bad_request', `Content-Encoding ${goQuote(encoding)} not supported`);
  }
  if (encoding === 'gzip') checkGzipHeader(body);
  const mediaType = parseMediaType(headers.contentType ?? '');
  const payload = encoding === 'gzip' || encoding === 'deflate' ? inflate(body, encoding, opts.maxDecompressedBytes) : body;

  const collector = new StreamCollector(opts.discoverServiceName);
  if (mediaType === JSON_MEDIA_TYPE) decodeJsonPush(payload, headers.legacy, collector);
  else decodeProtoPush(decodeSnappyBlock(payload, opts.maxDecompressedBytes), collector);
  return { streams: collector.streams };
}

/** Go's gzip.NewReader reads the header before anything else is looked at. */
function checkGzipHeader(body: Buffer): void {
  if (body.length === 0) throw new LokiError('bad_request', 'EOF');
  if (body.length < 10) throw new LokiError('bad_request', 'unexpected EOF');
  if (body[0] !== 0x1f || body[1] !== 0x8b || body[2] !== 8) throw new LokiError('bad_request', 'gzip: invalid header');
}

/**
 * Inflates with zlib's `maxOutputLength`, which stops as soon as the output passes the
 * limit: a small gzip bomb costs at most the limit in memory. `deflate` is raw DEFLATE, as
 * Go's compress/flate that Loki uses reads it (no zlib header).
 */
function inflate(body: Buffer, encoding: 'gzip' | 'deflate', maxDecompressedBytes: number): Buffer {
  const limit = maxDecompressedBytes > 0 ? Math.min(maxDecompressedBytes, bufferConstants.MAX_LENGTH) : bufferConstants.MAX_LENGTH;
  try {
    const opts = { maxOutputLength: limit };
    return encoding === 'gzip' ? gunzipSync(body, opts) : inflateRawSync(body, opts);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') throw decompressedTooLarge(limit + 1, limit);
    throw new LokiError('bad_request', inflateErrorText(err, encoding));
  }
}

/** zlib's complaints in the words of Go's readers. */
function inflateErrorText(err: NodeJS.ErrnoException, encoding: 'gzip' | 'deflate'): string {
  if (err.code === 'Z_BUF_ERROR') return 'unexpected EOF';
  if (encoding === 'gzip' && /check/.test(err.message)) {
    return /header/.test(err.message) ? 'gzip: invalid header' : 'gzip: invalid checksum';
  }
  return 'flate: corrupt input';
}
