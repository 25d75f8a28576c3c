/**
 * The Idempotency-Key header on the business API's writes: a repeat answers as the first did
 * and does nothing again, also when sent concurrently; the same key for another request is a
 * 422; a request whose work failed keeps no answer, so sent again it runs; keys are the
 * tenant's. On PostgreSQL (the app role under row-level security).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../runtime/keys.ts';
import { startTestApp, type TestApp } from './harness.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('pg', { worker: false });
}, 60_000);
afterAll(() => app?.stop());

const post = (path: string, body: unknown, key?: string, apiKey?: string) =>
  app.call('POST', path, body, { headers: key ? { 'idempotency-key': key } : {}, ...(apiKey ? { key: apiKey } : {}) });
const leads = async (email: string) =>
  (await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM leads WHERE email = $1`, [email]))[0]!.n;

describe('Idempotency-Key on business writes', () => {
  it('answers a repeat as the first, once, also when the repeats race', async () => {
    const body = { name: 'Idem Lead', email: 'idem@example.com' };
    const first = await post('/api/v1/pipeline/leads', body, 'lead-k1');
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await post('/api/v1/pipeline/leads', { email: 'idem@example.com', name: 'Idem Lead' }, 'lead-k1');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    // Spelling out what the first left to its defaults (source, valueUsd) is the same request.
    const spelled = await post('/api/v1/pipeline/leads', { ...body, source: 'manual', valueUsd: 0 }, 'lead-k1');
    expect([spelled.status, spelled.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
    expect(await leads('idem@example.com')).toBe(1);

    const racing = await Promise.all(
      Array.from({ length: 6 }, () => post('/api/v1/pipeline/leads', { name: 'Race Lead', email: 'race@example.com' }, 'lead-race')),
    );
    const created = racing.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThan(0);
    expect(new Set(created.map((r) => r.body.lead.id)).size).toBe(1);
    // The ones that came while the first was at work are told to send again.
    for (const r of racing.filter((x) => x.status !== 201)) expect(r.body.error.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    expect(await leads('race@example.com')).toBe(1);

    // Without a key, each request is its own.
    await post('/api/v1/pipeline/leads', { name: 'Plain', email: 'plain@example.com' });
    await post('/api/v1/pipeline/leads', { name: 'Plain', email: 'plain@example.com' });
    expect(await leads('plain@example.com')).toBe(2);
  });

  it('refuses the same key for another request with 422, and changes nothing', async () => {
    await post('/api/v1/pipeline/leads', { name: 'Other One', email: 'other1@example.com' }, 'lead-k2');
    const other = await post('/api/v1/pipeline/leads', { name: 'Other Two', email: 'other2@example.com' }, 'lead-k2');
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', details: { request: 'POST /api/v1/pipeline/leads' } });
    expect(await leads('other2@example.com')).toBe(0);
  });

  it('keeps no answer for a request that failed: sent again once it can succeed, it runs', async () => {
    const est = (await app.call('POST', '/api/v1/estimates', { status: 'draft', output: { totals: { total: 250 } } })).body.estimate;
    const pay = () => post('/api/v1/stripe-revenue/checkout', { estimateId: est.id }, 'pay-k1');
    expect((await pay()).status).toBe(409);
    await app.call('POST', '/api/v1/estimates', { id: est.id, status: 'accepted' });
    const paid = await pay();
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect((await pay()).body.session.id).toBe(paid.body.session.id);
  });

  it('keeps each tenant its own keys', async () => {
    const acme = (await createKey(app.proc.runtime.db, 'acme', ['admin'], 'acme')).key;
    const mine = await post('/api/v1/pipeline/leads', { name: 'Acme Lead', email: 'acme@example.com' }, 'lead-k1', acme);
    expect(mine.status).toBe(201);
    expect(mine.headers.get('idempotent-replayed')).toBeNull();
    expect(await leads('acme@example.com')).toBe(1);
  });
});

describe('writes checked against a shared limit', () => {
  it('lets only as many concurrent ad applies through as fit under the account cap', async () => {
    // Default ADS_DAILY_SPEND_CAP_USD: $500. Six campaigns of $200 each applied at once: checked
    // one after the other, two fit ($400) and a third would be $600.
    const ids: string[] = [];
    for (let n = 0; n < 6; n++)
      ids.push(
        (await post('/api/v1/ads/campaigns', { name: `Race ${n}`, channel: 'google_search', dailyBudgetUsd: 0 })).body.campaign
          .id as string,
      );
    const answers = await Promise.all(ids.map((id) => post(`/api/v1/ads/campaigns/${id}/apply`, { dailyBudgetUsd: 200 })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 422, 422, 422, 422]);
    for (const a of answers.filter((x) => x.status === 422)) expect(a.body.error.code).toBe('SPEND_CAP_EXCEEDED');
    const active = await app.query<{ usd: string; n: number }>(
      `SELECT COALESCE(sum(daily_budget_usd), 0)::text AS usd, count(*)::int AS n FROM ads_campaigns WHERE status = 'active'`,
    );
    expect(active[0]).toEqual({ usd: '400.00', n: 2 });
    expect((await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM ads_actions`))[0]!.n).toBe(2);
  });
});

describe('email idempotency keys', () => {
  const outbox = async (to: string) =>
    (await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_outbox WHERE to_address = $1`, [to]))[0]!.n;

  it('refuses a body key that already sent another email with 422, and sends nothing more', async () => {
    const first = await post('/api/v1/email-automation/send', {
      to: 'keyed@example.com',
      subject: 'Quote',
      body: 'Your quote.',
      idempotencyKey: 'mail-k1',
    });
    expect(first.status).toBe(200);
    const same = await post('/api/v1/email-automation/send', {
      to: 'keyed@example.com',
      subject: 'Quote',
      body: 'Your quote.',
      idempotencyKey: 'mail-k1',
    });
    expect(same.body).toMatchObject({ replayed: true, email: { id: first.body.email.id } });
    const other = await post('/api/v1/email-automation/send', {
      to: 'keyed@example.com',
      subject: 'Invoice',
      body: 'Pay now.',
      idempotencyKey: 'mail-k1',
    });
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', details: { emailId: first.body.email.id, subject: 'Quote' } });
    expect(await outbox('keyed@example.com')).toBe(1);
  });

  it('refuses a header and a body key that differ, an empty key and an overlong one, with 400', async () => {
    const body = { to: 'mismatch@example.com', subject: 'S', body: 'B', idempotencyKey: 'body-key' };
    const mismatch = await post('/api/v1/email-automation/send', body, 'header-key');
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
    for (const key of [' ', 'k'.repeat(201)]) {
      const r = await app.call(
        'POST',
        '/api/v1/email-automation/send',
        { to: 'mismatch@example.com', subject: 'S', body: 'B' },
        { headers: { 'idempotency-key': key } },
      );
      expect(r.status, key).toBe(400);
      expect(r.body.error.code).toBe('INVALID_IDEMPOTENCY_KEY');
    }
    expect(await outbox('mismatch@example.com')).toBe(0);
  });

  it('takes the same key in the header and the body as one key: sent once, the repeat replayed', async () => {
    const email = { to: 'both@example.com', subject: 'Quote', body: 'Your quote.' };
    const first = await post('/api/v1/email-automation/send', email, 'em-1');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const both = await post('/api/v1/email-automation/send', { ...email, idempotencyKey: 'em-1' }, 'em-1');
    expect(both.status, JSON.stringify(both.body)).toBe(200);
    expect(both.body).toMatchObject({ replayed: true, email: { id: first.body.email.id } });
    const bodyOnly = await post('/api/v1/email-automation/send', { ...email, idempotencyKey: 'em-1' });
    expect(bodyOnly.status, JSON.stringify(bodyOnly.body)).toBe(200);
    expect(bodyOnly.body).toMatchObject({ replayed: true, email: { id: first.body.email.id } });
    expect(await outbox('both@example.com')).toBe(1);
  });

  it('checks a body key as the header: empty, over 200 characters or nothing visible is 400 INVALID_IDEMPOTENCY_KEY', async () => {
    for (const key of ['', 'k'.repeat(201), '   ', '\u200b', '\u200b\ufeff']) {
      const r = await post('/api/v1/email-automation/send', { to: 'badkey@example.com', subject: 'S', body: 'B', idempotencyKey: key });
      expect(r.status, JSON.stringify(key)).toBe(400);
      expect(r.body.error.code, JSON.stringify(key)).toBe('INVALID_IDEMPOTENCY_KEY');
      const task = await post('/api/v1/agents/estimator/tasks', { input: {}, idempotencyKey: key });
      expect(task.status, JSON.stringify(key)).toBe(400);
      expect(task.body.error.code, JSON.stringify(key)).toBe('INVALID_IDEMPOTENCY_KEY');
    }
    // A header of only invisible characters (a no-break space is one a header can carry) likewise.
    const nbsp = await post('/api/v1/email-automation/send', { to: 'badkey@example.com', subject: 'S', body: 'B' }, '\u00a0');
    expect(nbsp.status).toBe(400);
    expect(nbsp.body.error.code).toBe('INVALID_IDEMPOTENCY_KEY');
    // A header key in UTF-8 (a zero-width space, 'café') arrives as Latin-1 bytes: refused, pointing at the body's key.
    for (const key of ['\u200b', 'café']) {
      const utf8 = Buffer.from(key, 'utf8').toString('latin1');
      const r = await post('/api/v1/email-automation/send', { to: 'badkey@example.com', subject: 'S', body: 'B' }, utf8);
      expect([r.status, r.body.error.code, r.body.error.message], key).toEqual([
        400,
        'INVALID_IDEMPOTENCY_KEY',
        expect.stringContaining('printable ASCII'),
      ]);
      const task = await post('/api/v1/agents/estimator/tasks', { input: {} }, utf8);
      expect(task.status, key).toBe(400);
    }
    expect(await outbox('badkey@example.com')).toBe(0);
    // A task request from inside the process (the CLI, a delegating agent) is checked alike.
    await expect(app.proc.runtime.tasks.create('default', 'estimator', { input: {}, idempotencyKey: '\u200b' }, {})).rejects.toMatchObject({
      code: 'INVALID_IDEMPOTENCY_KEY',
      status: 400,
    });
    expect((await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE agent = 'estimator'`))[0]!.n).toBe(0);
    // A visible key of 200 characters is a key.
    const ok = await post('/api/v1/email-automation/send', {
      to: 'badkey@example.com',
      subject: 'S',
      body: 'B',
      idempotencyKey: 'k'.repeat(200),
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  });

  it('sends each sequence step once when runs overlap, and ends the enrolment once', async () => {
    const seq = (
      await post('/api/v1/email-automation/sequences', {
        name: 'Overlap',
        steps: [
          { delayDays: 0, subject: 'First', body: 'Hello {{name}}' },
          { delayDays: 3, subject: 'Second', body: 'Again {{name}}' },
        ],
      })
    ).body.sequence.id;
    const contact = (await post('/api/v1/crm/contacts', { name: 'Overlap Contact', email: 'overlap@example.com' })).body.contact.id;
    expect((await post(`/api/v1/email-automation/sequences/${seq}/enroll`, { contactIds: [contact] })).status).toBeLessThan(300);
    const runs = async () => {
      const all = await Promise.all(Array.from({ length: 5 }, () => post('/api/v1/email-automation/run-due', { limit: 500 })));
      for (const r of all) expect(r.status, JSON.stringify(r.body)).toBe(200);
      const sum = (k: 'sent' | 'finished') => all.reduce((n, r) => n + (r.body[k] as number), 0);
      return { sent: sum('sent'), finished: sum('finished') };
    };
    const enrolment = async () =>
      (
        await app.query<{ next_step: number; status: string }>(`SELECT next_step, status FROM email_enrollments WHERE contact_id = $1`, [
          contact,
        ])
      )[0]!;

    expect(await runs()).toEqual({ sent: 1, finished: 0 });
    expect(await enrolment()).toEqual({ next_step: 1, status: 'active' });
    await app.query(`UPDATE email_enrollments SET next_at = now() WHERE contact_id = $1`, [contact]);
    expect(await runs()).toEqual({ sent: 1, finished: 1 });
    expect(await enrolment()).toEqual({ next_step: 2, status: 'done' });
    const subjects = await app.query<{ subject: string }>(
      `SELECT subject FROM email_outbox WHERE to_address = 'overlap@example.com' ORDER BY created_at`,
    );
    expect(subjects.map((r) => r.subject)).toEqual(['First', 'Second']);
  });
});

describe('a public form sent twice', () => {
  it('is one lead, also when the two sends race; another message is another lead', async () => {
    const published = await post('/api/v1/landing-pages/publish', {
      title: 'Hail repair',
      headline: 'Hail damage?',
      body: 'We fix it.',
      cta: 'Call me',
      slug: 'hail-repair',
    });
    expect(published.status, JSON.stringify(published.body)).toBeLessThan(300);
    const send = (message: string) =>
      app.call(
        'POST',
        '/landing/hail-repair/leads',
        { name: 'Eve Hail', email: 'Eve@Example.com', phone: '(303) 555-0142', message },
        { key: null },
      );
    const twice = await Promise.all([send('Dent on the ridge'), send('Dent on the ridge')]);
    for (const r of twice) expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(twice[0]!.body.leadId).toBe(twice[1]!.body.leadId);
    expect((await send('Dent on the ridge')).body.leadId).toBe(twice[0]!.body.leadId);
    expect(await leads('eve@example.com')).toBe(1);
    const other = await send('Also the gutters');
    expect(other.body.leadId).not.toBe(twice[0]!.body.leadId);
    expect(await leads('eve@example.com')).toBe(2);
  });
});
