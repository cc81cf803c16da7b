/**
 * An object store in memory, for tests that read one object in thousands of variants (every
 * flipped bit of a chunk) faster than files allow. It passes the conformance suite, so it
 * answers as FsObjectStore does.
 */
import { LokiError } from '../../src/core/index.js';
import type { ObjectStore } from '../../src/storage/index.js';
import { checkObjectKey } from '../../src/storage/objects.js';

export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, Buffer>();

  private object(key: string): Buffer {
    checkObjectKey(key);
    const data = this.objects.get(key);
    if (data === undefined) throw new LokiError('not_found', `object ${key} not found`);
    return data;
  }

  async put(key: string, data: Buffer | readonly Buffer[]): Promise<void> {
    checkObjectKey(key);
    this.objects.set(key, Buffer.isBuffer(data) ? Buffer.from(data) : Buffer.concat(data));
  }

  async get(key: string): Promise<Buffer> {
    return Buffer.from(this.object(key));
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    if (!(Number.isSafeInteger(offset) && offset >= 0 && Number.isSafeInteger(length) && length >= 0)) {
      throw new RangeError(`invalid range of object ${key}: ${length} bytes at ${offset}`);
    }
    const data = this.object(key);
    return Buffer.from(data.subarray(Math.min(offset, data.length), Math.min(offset + length, data.length)));
  }

  async delete(key: string): Promise<void> {
    checkObjectKey(key);
    this.objects.delete(key);
  }

  async *list(prefix: string): AsyncIterable<string> {
    yield* [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
