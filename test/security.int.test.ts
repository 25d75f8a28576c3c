/**
 * The findings of issue 10, each as the request that found it: NUL characters and broken gzip
 * answer 400 (not 500), an interval past the integer column is stored, duplicate external ids
 * answer 409, the key is checked before the body is read, a JSON route refuses other content
 * types; and the auth matrix, derived from /openapi.json: every non-public route answers 401
 * without a key and 403 with a key that lacks its scope. Nothing refused writes a row.
 */
import { gzipSync } from 'node:zlib';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerKey } from '../runtime/keys.ts';
import { startTestApp, type TestApp } from './harness.ts';

const WEBHOOK_SECRET = 'whsec_FAKEsecurityTest0123456789';

describe('bad input and authentication', () => {
  let app: TestApp;
  const rows = async () =>
    (
      await app.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM tasks) + (SELECT count(*) FROM customers) + (SELECT count(*) FROM jobs) + (SELECT count(*) FROM schedules) + (SELECT count(*) FROM leads) AS n`,
      )
    )[0]!.n;
  const uploads = async () => (await app.query<{ n: string }>(`SELECT count(*) AS n FROM crm_uploads`))[0]!.n;
  const raw = (method: string, path: string, body: Buffer | string, headers: Record<string, string>) =>
    fetch(`${app.url}${path}`, { method, headers, body }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as { error: { code: string } },
    }));

  beforeAll(async () => {
    app = await startTestApp('pg', { worker: false, env: { BODY_LIMIT: '4kb', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('refuses a NUL character in a body, a query or a path with 400, on any route', async () => {
    const before = await rows();
    for (const [method, path, body] of [
      ['POST', '/api/v1/crm/customers', { name: 'a\u0000b' }],
      ['POST', '/api/v1/agents/probe/tasks', { input: { note: 'x\u0000' } }],
      ['POST', '/api/v1/schedules', { agent: 'probe', everyMs: 5000, input: { k: ['\u0000'] } }],
      ['GET', '/api/v1/crm/customers?q=a%00b', undefined],
      ['GET', '/api/v1/memory/search?q=%00', undefined],
      ['GET', '/api/v1/crm/customers/a%00b', undefined],
    ] as const) {
      const res = await app.call(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.body.error.code).toBe('INVALID_TEXT');
    }
    const surrogate = await raw('POST', '/api/v1/crm/customers', '{"name": "a\\ud800"}', {
      authorization: `Bearer ${app.key}`,
      'content-type': 'application/json',
    });
    expect(surrogate).toMatchObject({ status: 400, body: { error: { code: 'INVALID_TEXT' } } });
    const latin1 = await raw('POST', '/api/v1/crm/customers', Buffer.from('{"name": "caf\xe9"}', 'latin1'), {
      authorization: `Bearer ${app.key}`,
      'content-type': 'application/json',
    });
    expect(latin1).toMatchObject({ status: 400, body: { error: { code: 'INVALID_TEXT' } } });
    expect(await rows()).toBe(before);
  });

  it('refuses a NUL character in the public lead form (JSON and form-encoded) with 400', async () => {
    const slug = 'no-such-page';
    expect((await app.call('POST', `/landing/${slug}/leads`, { name: 'a\u0000' }, { key: null })).body.error.code).toBe('INVALID_TEXT');
    const form = await raw('POST', `/landing/${slug}/leads`, 'name=a%00b', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form).toMatchObject({ status: 400, body: { error: { code: 'INVALID_TEXT' } } });
  });

  it('answers a body that is not the gzip it claims with 401 without a key and 400 with one', async () => {
    const before = await rows();
    const bad = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
    expect(await raw('POST', '/api/v1/crm/customers', '{"name": "x"}', bad)).toMatchObject({ status: 401 });
    expect(await raw('POST', '/api/v1/crm/customers', '{"name": "x"}', { ...bad, authorization: `Bearer ${app.key}` })).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_CONTENT_ENCODING' } },
    });
    expect(await raw('POST', '/landing/x/leads', gzipSync('{"name": "x"}').subarray(0, 15), bad)).toMatchObject({ status: 400 });
    // Real gzip is fine.
    const ok = await raw('POST', '/api/v1/crm/customers', gzipSync('{"name": "Gzip Roofing"}'), {
      ...bad,
      authorization: `Bearer ${app.key}`,
    });
    expect(ok.status).toBe(201);
    expect(Number(await rows())).toBe(Number(before) + 1);
  });

  it('stores a schedule interval past the 32-bit range (everyMs 3000000000) and refuses one past its limit with 400', async () => {
    const res = await app.call('POST', '/api/v1/schedules', { agent: 'probe', everyMs: 3_000_000_000, enabled: false });
    expect(res.status).toBe(201);
    expect(res.body.schedule.everyMs).toBe(3_000_000_000);
    expect((await app.call('GET', `/api/v1/schedules/${res.body.schedule.id}`)).body.schedule.everyMs).toBe(3_000_000_000);
    const tooLong = await app.call('POST', '/api/v1/schedules', { agent: 'probe', everyMs: 1e13 });
    expect(tooLong.status).toBe(400);
  });

  it('answers 409 to creating or renaming a customer or job to an externalId that exists', async () => {
    for (const kind of ['customers', 'jobs']) {
      const a = await app.call('POST', `/api/v1/crm/${kind}`, { name: `${kind} A`, externalId: `ext-${kind}-1` });
      expect(a.status).toBe(201);
      const before = await rows();
      const dup = await app.call('POST', `/api/v1/crm/${kind}`, { name: `${kind} B`, externalId: `ext-${kind}-1` });
      expect(dup.status).toBe(409);
      expect(dup.body.error).toMatchObject({ code: 'ALREADY_EXISTS', details: { fields: ['externalId'] } });
      expect(await rows()).toBe(before);
      const b = await app.call('POST', `/api/v1/crm/${kind}`, { name: `${kind} B`, externalId: `ext-${kind}-2` });
      const id = Object.values(b.body as Record<string, { id: string }>)[0]!.id;
      const rename = await app.call('PATCH', `/api/v1/crm/${kind}/${id}`, { externalId: `ext-${kind}-1` });
      expect(rename.status).toBe(409);
      expect(rename.body.error.code).toBe('ALREADY_EXISTS');
    }
  });

  it('refuses a bracketed query parameter (agent[]=x) with 400 saying what to send, on every route', async () => {
    const list = await app.call('GET', '/api/v1/tasks?agent[]=probe');
    expect(list.status).toBe(400);
    expect(list.body.error).toMatchObject({ code: 'INVALID_QUERY', details: { at: 'query.agent[]', parameter: 'agent' } });
    expect(list.body.error.message).toContain('send agent=<value>');
    expect((await app.call('GET', '/api/v1/tasks?agent%5B%5D=probe')).body.error.code).toBe('INVALID_QUERY');
    expect((await app.call('GET', '/api/v1/crm/customers?filter[name]=x')).body.error).toMatchObject({
      code: 'INVALID_QUERY',
      details: { parameter: 'filter' },
    });
    // A route mounted before the JSON parser and the normaliser (the CSV upload) answers the same.
    const before = await uploads();
    const upload = await raw('POST', '/api/v1/crm/imports?filename[]=x.csv', 'name,email\nA,a@example.com\n', {
      authorization: `Bearer ${app.key}`,
      'content-type': 'text/csv',
    });
    expect(upload).toMatchObject({ status: 400, body: { error: { code: 'INVALID_QUERY' } } });
    expect(await uploads()).toBe(before);
    // The plain form filters as before.
    const plain = await app.call('GET', '/api/v1/tasks?agent=probe');
    expect(plain.status).toBe(200);
    expect(plain.body.tasks).toEqual([]);
  });

  it('refuses a NUL character in a CSV upload and in a signed webhook event with 400 in our words, writing nothing', async () => {
    const before = await uploads();
    const csv = await raw('POST', '/api/v1/crm/imports', Buffer.from('name,email\nA\u0000B,a@example.com\n', 'utf8'), {
      authorization: `Bearer ${app.key}`,
      'content-type': 'text/csv',
    });
    expect(csv).toMatchObject({ status: 400, body: { error: { code: 'INVALID_TEXT', details: { at: 'body', line: 2 } } } });
    expect((csv.body.error as unknown as { message: string }).message).toMatch(
      /^The file contains a NUL character \(a zero byte\) on line 2/,
    );
    expect(await uploads()).toBe(before);

    const payload = JSON.stringify({
      id: 'evt_nul',
      object: 'event',
      type: 'checkout.session.completed',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: 'cs_a\u0000b', object: 'checkout.session' } },
    });
    const hook = await raw('POST', '/api/v1/stripe-revenue/webhook', payload, {
      'content-type': 'application/json',
      'stripe-signature': new Stripe('sk_test_unused').webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }),
    });
    expect(hook).toMatchObject({ status: 400, body: { error: { code: 'INVALID_TEXT', details: { at: 'body.data.object.id' } } } });
    expect(await app.query(`SELECT id FROM stripe_events WHERE id = 'evt_nul'`)).toEqual([]);
  });

  it('checks the key before reading the body: 401 for a malformed or oversized body without a valid key', async () => {
    const before = await rows();
    for (const key of [null, 'bo_wrong-key-0000000000']) {
      expect((await app.call('POST', '/api/v1/agents/probe/tasks', undefined, { key, raw: '{"input": {' })).status).toBe(401);
      expect((await app.call('POST', '/api/v1/agents/probe/tasks', { input: {}, pad: 'x'.repeat(10_000) }, { key })).status).toBe(401);
    }
    expect(await rows()).toBe(before);
  });

  it('refuses a JSON route given another content type with 415, writing nothing', async () => {
    const before = await rows();
    const res = await app.call('POST', '/api/v1/agents/probe/tasks', undefined, {
      raw: '{"input": {"steps": 7}}',
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await rows()).toBe(before);
  });

  it('answers every non-public route of /openapi.json with 401 without a key and 403 with a key lacking its scope', async () => {
    const doc = (await app.call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    // A key with no scopes lacks every route's scope.
    const { key: scopeless } = await registerKey(app.proc.runtime.db, 'default', 'bo_scopeless-key-for-the-auth-matrix', [], 'scopeless');
    const before = await rows();
    const wrong: string[] = [];
    let checked = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (Array.isArray(op.security) && op.security.length === 0) continue;
        const path = template.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
        const body = ['post', 'put', 'patch'].includes(method) ? {} : undefined;
        checked++;
        const none = await app.call(method.toUpperCase(), path, body, { key: null });
        if (none.status !== 401 || none.body.error?.code !== 'UNAUTHORIZED')
          wrong.push(`${method} ${template} without a key → ${none.status}`);
        const lacking = await app.call(method.toUpperCase(), path, body, { key: scopeless });
        if (lacking.status !== 403 || lacking.body.error?.code !== 'FORBIDDEN')
          wrong.push(`${method} ${template} without its scope → ${lacking.status}`);
      }
    }
    expect(checked).toBeGreaterThan(60);
    expect(wrong).toEqual([]);
    expect(await rows()).toBe(before);
  });
});
