import { afterEach, describe, expect, it } from 'vitest';
import { readAll, startTestApp, type TestApp } from '../helpers/app.js';
import { pushProto } from '../helpers/push.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.destroy();
  app = undefined;
});

const NOW = BigInt(Date.now()) * 1_000_000n;
const HOUR = 3_600_000_000_000n;

describe('retention', () => {
  it('keeps everything by default and deletes stored chunks past a tenant\'s configured period', async () => {
    app = await startTestApp((c) => {
      c.authEnabled = true;
      c.overrides['short'] = { retentionPeriodMs: 24 * 3_600_000 };
    });
    for (const tenant of ['short', 'forever']) {
      const h = { 'x-scope-orgid': tenant };
      expect((await pushProto(app.url, [{ labels: '{app="old"}', entries: [{ ts: NOW - 48n * HOUR, line: 'two days ago' }] }], h)).status).toBe(204);
      expect((await pushProto(app.url, [{ labels: '{app="new"}', entries: [{ ts: NOW - HOUR, line: 'an hour ago' }] }], h)).status).toBe(204);
    }
    await fetch(`${app.url}/flush`, { method: 'POST' });
    expect(await app.applyRetention()).toBe(1);
    expect((await readAll(app, 'short', ['app', '.+'])).map((e) => e.line)).toEqual(['an hour ago']);
    expect((await readAll(app, 'forever', ['app', '.+'])).map((e) => e.line)).toEqual(['two days ago', 'an hour ago']);
  });
});
