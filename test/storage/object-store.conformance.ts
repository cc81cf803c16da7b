/**
 * The behaviour every ObjectStore must have. Each implementation runs it with one line:
 * `objectStoreConformance('name', async () => ({ store, cleanup }))`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LokiError } from '../../src/core/index.js';
import type { ObjectStore } from '../../src/storage/index.js';

export interface StoreUnderTest {
  store: ObjectStore;
  cleanup(): Promise<void>;
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out;
}

export function objectStoreConformance(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`ObjectStore conformance: ${name}`, () => {
    let current: StoreUnderTest | undefined;
    const store = async () => (current = await open()).store;
    afterEach(async () => {
      await current?.cleanup();
      current = undefined;
    });

    it('returns what was put, byte for byte', async () => {
      const s = await store();
      const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff));
      await s.put('tenant-a/0011aa/chunk-1', data);
      expect((await s.get('tenant-a/0011aa/chunk-1')).equals(data)).toBe(true);
      await s.put('empty', Buffer.alloc(0));
      expect((await s.get('empty')).length).toBe(0);
    });

    it('stores parts as one object, their bytes back to back', async () => {
      const s = await store();
      const data = Buffer.from(Array.from({ length: 150_000 }, (_, i) => (i * 7) & 0xff));
      const parts = [data.subarray(0, 6), data.subarray(6, 6), data.subarray(6, 70_006), data.subarray(70_006)];
      await s.put('t/s/parts', parts);
      expect((await s.get('t/s/parts')).equals(data)).toBe(true);
      expect((await s.getRange('t/s/parts', 69_990, 40)).equals(data.subarray(69_990, 70_030))).toBe(true);
      // Parts are not retained: changing them afterwards changes nothing stored.
      parts[2].fill(0);
      expect((await s.get('t/s/parts')).equals(Buffer.from(Array.from({ length: 150_000 }, (_, i) => (i * 7) & 0xff)))).toBe(true);
      await s.put('t/s/none', []);
      expect((await s.get('t/s/none')).length).toBe(0);
      await s.put('t/s/parts', [Buffer.from('re'), Buffer.from('placed')]);
      expect((await s.get('t/s/parts')).toString()).toBe('replaced');
    });

    it('returns byte ranges, cut short where the object ends', async () => {
      const s = await store();
      const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff));
      await s.put('t/s/chunk', data);
      expect((await s.getRange('t/s/chunk', 0, 6)).equals(data.subarray(0, 6))).toBe(true);
      expect((await s.getRange('t/s/chunk', 65_000, 4096)).equals(data.subarray(65_000, 69_096))).toBe(true);
      expect((await s.getRange('t/s/chunk', 0, 70_000)).equals(data)).toBe(true);
      // Past the end: what there is, then nothing, as an HTTP range request answers.
      expect((await s.getRange('t/s/chunk', 69_990, 100)).equals(data.subarray(69_990))).toBe(true);
      expect((await s.getRange('t/s/chunk', 0, 70_001)).length).toBe(70_000);
      expect((await s.getRange('t/s/chunk', 70_000, 10)).length).toBe(0);
      expect((await s.getRange('t/s/chunk', 80_000, 10)).length).toBe(0);
      expect((await s.getRange('t/s/chunk', 5, 0)).length).toBe(0);
      await expect(s.getRange('t/s/missing', 0, 10)).rejects.toSatisfy(
        (e: unknown) => e instanceof LokiError && e.code === 'not_found',
      );
      await expect(s.getRange('t/s/chunk/below', 0, 10)).rejects.toSatisfy(
        (e: unknown) => e instanceof LokiError && e.code === 'not_found',
      );
      await expect(s.getRange('t/s/chunk', -1, 10)).rejects.toThrow(RangeError);
      await expect(s.getRange('t/s/chunk', 0, 1.5)).rejects.toThrow(RangeError);
    });

    it('replaces an object on a second put', async () => {
      const s = await store();
      await s.put('a/b', Buffer.from('one'));
      await s.put('a/b', Buffer.from('two'));
      expect((await s.get('a/b')).toString()).toBe('two');
    });

    it('reports a missing object as not_found', async () => {
      const s = await store();
      await expect(s.get('nope/missing')).rejects.toSatisfy(
        (e: unknown) => e instanceof LokiError && e.code === 'not_found',
      );
      await s.put('file', Buffer.from('x'));
      await expect(s.get('file/below')).rejects.toSatisfy(
        (e: unknown) => e instanceof LokiError && e.code === 'not_found',
      );
    });

    it('deletes, and deleting a missing key is fine', async () => {
      const s = await store();
      await s.put('t/s/1', Buffer.from('x'));
      await s.put('t/s/2', Buffer.from('y'));
      await s.delete('t/s/1');
      await s.delete('t/s/1');
      await s.delete('never/existed');
      await expect(s.get('t/s/1')).rejects.toBeInstanceOf(LokiError);
      expect((await s.get('t/s/2')).toString()).toBe('y');
      await s.delete('t/s/2');
      expect(await collect(s.list(''))).toEqual([]);
      await s.put('t/s/3', Buffer.from('z')); // the emptied directories can be used again
      expect(await collect(s.list('t/'))).toEqual(['t/s/3']);
    });

    it('lists keys by plain string prefix, in ascending order', async () => {
      const s = await store();
      const keys = ['a/x/1', 'a/x/2', 'a/y', 'a-b/1', 'ab/1', 'b', 'a/x10/1'];
      for (const k of keys) await s.put(k, Buffer.from(k));
      expect(await collect(s.list(''))).toEqual([...keys].sort());
      expect(await collect(s.list('a/'))).toEqual(['a/x/1', 'a/x/2', 'a/x10/1', 'a/y']);
      expect(await collect(s.list('a/x'))).toEqual(['a/x/1', 'a/x/2', 'a/x10/1']);
      expect(await collect(s.list('a/x/'))).toEqual(['a/x/1', 'a/x/2']);
      expect(await collect(s.list('a'))).toEqual(['a-b/1', 'a/x/1', 'a/x/2', 'a/x10/1', 'a/y', 'ab/1']);
      expect(await collect(s.list('zzz'))).toEqual([]);
      expect(await collect(s.list('a/y'))).toEqual(['a/y']);
    });

    it('handles concurrent writes to different keys', async () => {
      const s = await store();
      const keys = Array.from({ length: 40 }, (_, i) => `t/${i % 4}/${i}`);
      await Promise.all(keys.map((k) => s.put(k, Buffer.from(k))));
      const got = await Promise.all(keys.map(async (k) => (await s.get(k)).toString()));
      expect(got).toEqual(keys);
      expect((await collect(s.list('t/'))).length).toBe(40);
    });

    it('rejects keys that could escape or alias', async () => {
      const s = await store();
      for (const bad of ['', '../x', 'a/../b', 'a//b', '/abs', 'a/', 'a\\b', 'a\0b', '.']) {
        await expect(s.put(bad, Buffer.from('x'))).rejects.toBeInstanceOf(LokiError);
        await expect(s.getRange(bad, 0, 1)).rejects.toBeInstanceOf(LokiError);
      }
    });
  });
}
