/**
 * Tenant resolution from `X-Scope-OrgID`, with dskit's rules and texts: 1..150 bytes of
 * `[A-Za-z0-9!-_.*'()]`, not `.` or `..`; several tenants are `t1|t2`.
 */
import { LokiError } from '../core/index.js';

export const NO_ORG_ID = 'no org id';
export const MULTIPLE_ORG_IDS = 'multiple org IDs present';
export const MAX_TENANT_ID_LENGTH = 150;

/** With auth off every request belongs to this tenant (Loki's `-auth.no-auth-tenant`). */
export const DEFAULT_NO_AUTH_TENANT = 'fake';

export interface TenantAuth {
  enabled: boolean;
  noAuthTenant?: string;
}

const VALID_CHARS = /^[A-Za-z0-9!\-_.*'()]*$/;

/** Throws Loki's 400 for an unusable tenant ID. */
export function validateTenantID(id: string): void {
  if (!VALID_CHARS.test(id)) {
    let i = 0;
    while (VALID_CHARS.test(id[i])) i++;
    throw new LokiError('bad_request', `tenant ID '${id}' contains unsupported character '${id[i]}'`);
  }
  if (id.length > MAX_TENANT_ID_LENGTH) {
    throw new LokiError('bad_request', `tenant ID is too long: max ${MAX_TENANT_ID_LENGTH} characters`);
  }
  if (id === '.' || id === '..') throw new LokiError('bad_request', "tenant ID is '.' or '..'");
}

/** Node gives a repeated header as an array; Go's Header.Get reads the first. */
function orgIdOf(header: string | readonly string[] | undefined): string {
  const value = typeof header === 'string' ? header : header?.[0];
  if (!value) throw new LokiError('no_org_id', NO_ORG_ID);
  return value;
}

/**
 * The one tenant of a push (or any single-tenant endpoint). As dskit does, only the first
 * ID is validated; any other must equal it.
 */
export function singleTenant(header: string | readonly string[] | undefined, auth: TenantAuth): string {
  if (!auth.enabled) return auth.noAuthTenant ?? DEFAULT_NO_AUTH_TENANT;
  const ids = orgIdOf(header).split('|');
  validateTenantID(ids[0]);
  for (let i = 1; i < ids.length; i++) {
    if (ids[i] !== ids[0]) throw new LokiError('bad_request', MULTIPLE_ORG_IDS);
  }
  return ids[0];
}

/** The tenants of a query: each validated, sorted, without repeats. */
export function queryTenants(header: string | readonly string[] | undefined, auth: TenantAuth): string[] {
  if (!auth.enabled) return [auth.noAuthTenant ?? DEFAULT_NO_AUTH_TENANT];
  const ids = orgIdOf(header).split('|');
  for (const id of ids) validateTenantID(id);
  return [...new Set(ids)].sort();
}
