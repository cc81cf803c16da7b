import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FsObjectStore } from '../../src/storage/index.js';
import { MemoryObjectStore } from './memory-object-store.js';
import { objectStoreConformance } from './object-store.conformance.js';

objectStoreConformance('filesystem', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'objects-'));
  return { store: new FsObjectStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

objectStoreConformance('memory (tests only)', async () => ({ store: new MemoryObjectStore(), cleanup: async () => {} }));
