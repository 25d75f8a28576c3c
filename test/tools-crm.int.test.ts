/**
 * CRM over HTTP on PostgreSQL: customers/contacts/jobs CRUD, search, cursor pagination,
 * soft validation, tenant isolation (404, never their data) and the idempotent bulk upsert.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../runtime/keys.ts';
import { startTestApp, type TestApp } from './harness.ts';

let app: TestApp;
const asOther = { key: '' };
const count = async (table: string): Promise<number> =>
  (await app.proc.runtime.db.system((sql) => sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))).rows[0]!.n;

beforeAll(async () => {
  app = await startTestApp('pg', { worker: false });
  asOther.key = (await createKey(app.proc.runtime.db, 'other', ['admin'], 'other')).key;
}, 60_000);
afterAll(() => app?.stop());

describe('customers', () => {
  let id: string;
  it('creates with soft validation: bad email kept with a warning, phone normalised', async () => {
    const r = await app.call('POST', '/api/v1/crm/customers', {
      name: 'Hank Hill',
      email: 'hank@strickland',
      phone: '(512) 555-0134',
      address: '84 Rainey St, Arlen',
    });
    expect(r.status).toBe(201);
    expect(r.body.customer).toMatchObject({ name: 'Hank Hill', email: 'hank@strickland', address: '84 Rainey St, Arlen' });
    expect(r.body.warnings).toEqual([expect.stringMatching(/email 'hank@strickland' does not look like a valid address/)]);
    id = r.body.customer.id;
    const good = await app.call('POST', '/api/v1/crm/customers', { name: 'Peggy', email: 'Peggy@Example.com', phone: '+1 415 555 2671' });
    expect(good.body.customer).toMatchObject({ email: 'peggy@example.com', phone: '+14155552671', warnings: [] });
  });
  it('rejects malformed types with 400 and stores nothing', async () => {
    const before = await count('customers');
    for (const body of [
      { name: 'X', email: 42 },
      { email: 'a@b.co' },
      { name: '\u200B\u200D' },
      { name: 'X', phone: ['1'] },
      { name: 'X', unknown: true },
      [1, 2],
    ]) {
      const r = await app.call('POST', '/api/v1/crm/customers', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect(await count('customers')).toBe(before);
  });
  it('searches over name, email, phone, address and external id and paginates with a cursor', async () => {
    for (let n = 0; n < 5; n++) await app.call('POST', '/api/v1/crm/customers', { name: `Page ${n}`, address: `${n} Pager Lane` });
    expect((await app.call('GET', '/api/v1/crm/customers?q=rainey')).body.customers.map((c: { id: string }) => c.id)).toEqual([id]);
    expect((await app.call('GET', '/api/v1/crm/customers?q=peggy@')).body.customers).toHaveLength(1);
    expect((await app.call('GET', '/api/v1/crm/customers?q=4155552671')).body.customers).toHaveLength(1);
    // The id a customer has in the system it was imported from (what an office quotes on the phone).
    const imported = (await app.call('POST', '/api/v1/crm/customers', { name: 'Imported Ida', externalId: 'C002' })).body.customer;
    expect((await app.call('GET', '/api/v1/crm/customers?q=C002')).body.customers.map((c: { id: string }) => c.id)).toEqual([imported.id]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: { customers: { name: string }[]; nextCursor: string | null } } = await app.call(
        'GET',
        `/api/v1/crm/customers?q=pager&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...r.body.customers.map((c) => c.name));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['Page 4', 'Page 3', 'Page 2', 'Page 1', 'Page 0']);
    expect((await app.call('GET', '/api/v1/crm/customers?cursor=garbage')).status).toBe(400);
    expect((await app.call('GET', '/api/v1/crm/customers?limit=0')).status).toBe(400);
  });
  it('reads, updates and deletes; another tenant gets 404 and never the data', async () => {
    expect((await app.call('GET', `/api/v1/crm/customers/${id}`, undefined, asOther)).status).toBe(404);
    expect((await app.call('PATCH', `/api/v1/crm/customers/${id}`, { name: 'Stolen' }, asOther)).status).toBe(404);
    expect((await app.call('DELETE', `/api/v1/crm/customers/${id}`, undefined, asOther)).status).toBe(404);
    expect((await app.call('GET', '/api/v1/crm/customers', undefined, asOther)).body.customers).toEqual([]);
    const u = await app.call('PATCH', `/api/v1/crm/customers/${id}`, { email: 'hank@example.com', notes: 'propane' });
    expect(u.body.customer).toMatchObject({ name: 'Hank Hill', email: 'hank@example.com', notes: 'propane', warnings: [] });
    expect((await app.call('GET', `/api/v1/crm/customers/${id}`)).body.customer.notes).toBe('propane');
    expect((await app.call('GET', '/api/v1/crm/customers/not-a-uuid')).status).toBe(400);
    expect((await app.call('DELETE', `/api/v1/crm/customers/${id}`)).body).toEqual({ deleted: true, id });
    expect((await app.call('GET', `/api/v1/crm/customers/${id}`)).status).toBe(404);
  });
});

describe('contacts and jobs', () => {
  it("links to this tenant's customers only", async () => {
    const mine = (await app.call('POST', '/api/v1/crm/customers', { name: 'Mine' })).body.customer.id;
    const theirs = (await app.call('POST', '/api/v1/crm/customers', { name: 'Theirs' }, asOther)).body.customer.id;
    const c = await app.call('POST', '/api/v1/crm/contacts', { name: 'Luanne', customerId: mine, role: 'tenant' });
    expect(c.body.contact).toMatchObject({ customerId: mine, role: 'tenant' });
    const before = await count('contacts');
    expect((await app.call('POST', '/api/v1/crm/contacts', { name: 'Sneaky', customerId: theirs })).status).toBe(404);
    expect(await count('contacts')).toBe(before);
    const j = await app.call('POST', '/api/v1/crm/jobs', {
      name: 'Re-roof',
      customerId: mine,
      status: 'scheduled',
      valueUsd: 14250.5,
      scheduledFor: '2026-05-01T08:00:00Z',
    });
    expect(j.body.job).toMatchObject({ status: 'scheduled', valueUsd: 14250.5, scheduledFor: '2026-05-01T08:00:00.000Z' });
    expect((await app.call('PATCH', `/api/v1/crm/jobs/${j.body.job.id}`, { status: 'finished' })).status).toBe(400);
  });
});

describe('bulk upsert by external id (CRM sync)', () => {
  const records = [
    { externalId: 'cp-1', name: 'Dale Gribble', email: 'dale@example.com' },
    { externalId: 'cp-2', name: 'Bill Dauterive', phone: '512-555-0199' },
  ];
  it('inserts, then reports unchanged on a replay, then updates only what changed', async () => {
    expect((await app.call('POST', '/api/v1/crm/customers/upsert', { records })).body).toEqual({
      inserted: 2,
      updated: 0,
      unchanged: 0,
      conflicts: [],
      warnings: [],
      phoneRegion: 'US',
    });
    expect((await app.call('POST', '/api/v1/crm/customers/upsert', { records })).body).toEqual({
      inserted: 0,
      updated: 0,
      unchanged: 2,
      conflicts: [],
      warnings: [],
      phoneRegion: 'US',
    });
    const changed = [{ ...records[0]!, email: 'dale@gribble.com' }, records[1]!];
    expect((await app.call('POST', '/api/v1/crm/customers/upsert', { records: changed })).body).toEqual({
      inserted: 0,
      updated: 1,
      unchanged: 1,
      conflicts: [],
      warnings: [],
      phoneRegion: 'US',
    });
    expect((await app.call('GET', '/api/v1/crm/customers?q=gribble')).body.customers[0].email).toBe('dale@gribble.com');
  });
  it('reports conflicts: a batch with two versions of one id, and contacts of unknown customers', async () => {
    const r = await app.call('POST', '/api/v1/crm/customers/upsert', {
      records: [
        { externalId: 'cp-9', name: 'A' },
        { externalId: 'cp-9', name: 'B' },
      ],
    });
    expect(r.body).toMatchObject({ inserted: 0, conflicts: [{ externalId: 'cp-9' }] });
    const c = await app.call('POST', '/api/v1/crm/contacts/upsert', {
      records: [
        { externalId: 'k-1', name: 'Kahn', customerExternalId: 'cp-1' },
        { externalId: 'k-2', name: 'Minh', customerExternalId: 'nope' },
      ],
    });
    expect(c.body).toEqual({
      inserted: 1,
      updated: 0,
      unchanged: 0,
      conflicts: [{ externalId: 'k-2', reason: "no customer has externalId 'nope'" }],
      warnings: [],
      phoneRegion: 'US',
    });
  });
  it("keeps external ids per tenant: another tenant's upsert inserts its own rows", async () => {
    expect((await app.call('POST', '/api/v1/crm/customers/upsert', { records }, asOther)).body.inserted).toBe(2);
  });
});
