import { describe, expect, it } from 'vitest';
import { queryTenants, singleTenant } from '../../src/distributor/index.js';
import { expectLokiError } from './helpers.js';

const auth = { enabled: true };

describe('tenants', () => {
  it('takes the header as the tenant when auth is on', () => {
    expect(singleTenant('team-a', auth)).toBe('team-a');
    expect(singleTenant(["t.1_(x)*!'", 'ignored'], auth)).toBe("t.1_(x)*!'");
    expect(singleTenant('a|a', auth)).toBe('a');
  });

  it('ignores the header when auth is off', () => {
    expect(singleTenant(undefined, { enabled: false })).toBe('fake');
    expect(singleTenant('x|y', { enabled: false, noAuthTenant: 'local' })).toBe('local');
  });

  it('answers Loki texts for missing, invalid and multiple tenants', () => {
    expectLokiError(() => singleTenant(undefined, auth), 401, 'no org id');
    expectLokiError(() => singleTenant('', auth), 401, 'no org id');
    expectLokiError(() => singleTenant('a/b', auth), 400, "tenant ID 'a/b' contains unsupported character '/'");
    expectLokiError(() => singleTenant('x'.repeat(151), auth), 400, 'tenant ID is too long: max 150 characters');
    expectLokiError(() => singleTenant('..', auth), 400, "tenant ID is '.' or '..'");
    expectLokiError(() => singleTenant('t1|t2', auth), 400, 'multiple org IDs present');
    expect(singleTenant('x'.repeat(150), auth)).toHaveLength(150);
  });

  it('lists query tenants sorted and distinct, each validated', () => {
    expect(queryTenants('t2|t1|t2', auth)).toEqual(['t1', 't2']);
    expectLokiError(() => queryTenants('t1|a b', auth), 400, "tenant ID 'a b' contains unsupported character ' '");
  });
});
