/**
 * The live paths of the integrations (real keys → real services, same code path), offline:
 * Stripe and SendGrid answer from recorded responses through an undici MockAgent,
 * SMTP is a tiny server on loopback. Proves that each outbound call is the one the provider
 * expects, carries its idempotency key, and that a retry never calls the provider twice.
 */
import { readFile } from 'node:fs/promises';
import Stripe from 'stripe';
import { getGlobalDispatcher, MockAgent, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';
import { lowerCaseHeaders, startTestApp, type TestApp } from './harness.ts';

const STRIPE_KEY = 'sk_test_FAKE0000notArealKey0000offlineOnly';
const WEBHOOK_SECRET = 'whsec_FAKElivemodeTest0123456789';
const SENDGRID_KEY = 'SG.fake-key-for-tests.not-real';
const BASE = 'https://roof.example';
const fixture = async <T>(name: string): Promise<T> =>
  JSON.parse(await readFile(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;

interface Recorded {
  path: string;
  headers: Record<string, string>;
  body: string;
}

const record = (into: Recorded[], opts: { path: string; headers?: unknown; body?: unknown }) =>
  into.push({ path: opts.path, headers: lowerCaseHeaders(opts.headers), body: String(opts.body ?? '') });
const json = { headers: { 'content-type': 'application/json' } };

describe('live integrations over recorded HTTP (Stripe, SendGrid)', () => {
  const stripeCalls: Recorded[] = [];
  const sendgridCalls: Recorded[] = [];
  /** SendGrid's next answers (status codes); empty → 202. */
  const sendgridScript: number[] = [];
  /** Stripe's next answers: 400 → the recorded invalid_request_error, else the session. */
  const stripeScript: number[] = [];
  let stripe400: unknown;
  let expireRefused: unknown;
  /** Ids for the next sessions Stripe creates (empty: the recorded session's). */
  const sessionIds: string[] = [];
  /** Sessions a customer has paid at Stripe (their events not delivered yet). */
  const paidAtStripe = new Set<string>();
  const expireCalls: string[] = [];
  let session: { id: string; url: string } & Record<string, unknown>;
  let mock: MockAgent;
  let previous: Dispatcher;
  let app: TestApp;
  const db = () => app.proc.runtime.db;
  const count = async (sql: string, args: unknown[] = []) => (await db().system((tx) => tx.query<{ n: number }>(sql, args))).rows[0]!.n;

  beforeAll(async () => {
    session = await fixture('stripe-checkout-session.json');
    stripe400 = await fixture('stripe-error-invalid-request.json');
    expireRefused = await fixture('stripe-error-expire-not-open.json');
    const sendgrid503 = await fixture<unknown>('sendgrid-error-503.json');
    previous = getGlobalDispatcher();
    mock = new MockAgent();
    mock.disableNetConnect();
    mock.enableNetConnect(/^(127\.0\.0\.1|localhost):\d+$/);
    setGlobalDispatcher(mock);
    mock
      .get('https://api.stripe.com')
      .intercept({ path: '/v1/checkout/sessions', method: 'POST' })
      .reply((o) => {
        record(stripeCalls, o);
        const headers = { ...json.headers, 'request-id': `req_FAKE000${stripeCalls.length}` };
        const id = sessionIds.shift();
        const created = id ? { ...session, id, url: `https://checkout.stripe.com/c/pay/${id}` } : session;
        return stripeScript.shift() === 400
          ? { statusCode: 400, data: JSON.stringify(stripe400), responseOptions: { headers } }
          : { statusCode: 200, data: JSON.stringify(created), responseOptions: { headers } };
      })
      .persist();
    // Expiring a session: Stripe refuses once it is paid (the recorded invalid_request_error).
    const sessionPath = /^\/v1\/checkout\/sessions\/(cs_[\w]+)(\/expire)?$/;
    mock
      .get('https://api.stripe.com')
      .intercept({ path: (p) => sessionPath.test(p), method: 'POST' })
      .reply((o) => {
        const id = sessionPath.exec(o.path)![1]!;
        expireCalls.push(id);
        return paidAtStripe.has(id)
          ? { statusCode: 400, data: JSON.stringify(expireRefused), responseOptions: json }
          : { statusCode: 200, data: JSON.stringify({ ...session, id, status: 'expired', url: null }), responseOptions: json };
      })
      .persist();
    mock
      .get('https://api.stripe.com')
      .intercept({ path: (p) => sessionPath.test(p), method: 'GET' })
      .reply((o) => {
        const id = sessionPath.exec(o.path)![1]!;
        const paid = paidAtStripe.has(id);
        return {
          statusCode: 200,
          data: JSON.stringify({ ...session, id, status: paid ? 'complete' : 'expired', payment_status: paid ? 'paid' : 'unpaid' }),
          responseOptions: json,
        };
      })
      .persist();
    mock
      .get('https://api.sendgrid.com')
      .intercept({ path: '/v3/mail/send', method: 'POST' })
      .reply((o) => {
        record(sendgridCalls, o);
        const status = sendgridScript.shift() ?? 202;
        return status === 202
          ? { statusCode: 202, data: '', responseOptions: { headers: { 'x-message-id': `sg-msg-${sendgridCalls.length}` } } }
          : { statusCode: status, data: JSON.stringify(sendgrid503), responseOptions: json };
      })
      .persist();
    app = await startTestApp('pglite', {
      worker: false,
      env: {
        STRIPE_SECRET_KEY: STRIPE_KEY,
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        SENDGRID_API_KEY: SENDGRID_KEY,
        EMAIL_FROM: 'Roof Co <hello@roof.example>',
        PUBLIC_BASE_URL: BASE,
      },
    });
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await mock?.close();
    if (previous) setGlobalDispatcher(previous);
  });

  it('Stripe: creates the checkout session through the stripe library with its Idempotency-Key, once', async () => {
    const estimateId: string = (await app.call('POST', '/api/v1/estimates', { status: 'accepted', output: { totals: { total: 8400.5 } } }))
      .body.estimate.id;
    const body = { estimateId, customerEmail: 'dana@example.com' };
    const r = await app.call('POST', '/api/v1/stripe-revenue/checkout', body, { headers: { 'idempotency-key': 'chk-live-1' } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.session).toMatchObject({
      id: session.id,
      url: session.url,
      mode: 'stripe',
      amountUsd: 8400.5,
      status: 'open',
      estimateId,
    });
    expect(stripeCalls).toHaveLength(1);
    const call = stripeCalls[0]!;
    expect(call.headers['authorization']).toBe(`Bearer ${STRIPE_KEY}`);
    expect(call.headers['idempotency-key']).toBe('checkout:default:chk-live-1');
    const form = new URLSearchParams(call.body);
    expect(form.get('mode')).toBe('payment');
    expect(form.get('line_items[0][price_data][unit_amount]')).toBe('840050');
    expect(form.get('line_items[0][price_data][currency]')).toBe('usd');
    expect(form.get('line_items[0][quantity]')).toBe('1');
    expect(form.get('metadata[tenant_id]')).toBe('default');
    expect(form.get('metadata[estimate_id]')).toBe(estimateId);
    expect(form.get('metadata[brainops_checkout]')).toBe('checkout:default:chk-live-1');
    expect(form.get('payment_intent_data[metadata][tenant_id]')).toBe('default');
    expect(form.get('customer_email')).toBe('dana@example.com');
    expect(form.get('success_url')).toBe(`${BASE}/board?paid=1`);
    const stored = await db().system((tx) =>
      tx.query<{ url: string; mode: string }>('SELECT url, mode FROM checkout_sessions WHERE id = $1', [session.id]),
    );
    expect(stored.rows).toEqual([{ url: session.url, mode: 'stripe' }]);

    // The client retries with the same key: answered from our row, Stripe is not called again.
    const again = await app.call('POST', '/api/v1/stripe-revenue/checkout', body, { headers: { 'idempotency-key': 'chk-live-1' } });
    expect(again.body.session.id).toBe(session.id);
    expect(stripeCalls).toHaveLength(1);
  });

  it("Stripe: an error answer is a 502 STRIPE_FAILED with Stripe's request id, and nothing is stored", async () => {
    const estimateId: string = (await app.call('POST', '/api/v1/estimates', { status: 'accepted', output: { totals: { total: 120 } } }))
      .body.estimate.id;
    const before = await count('SELECT count(*)::int AS n FROM checkout_sessions');
    stripeScript.push(400);
    const r = await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId }, { headers: { 'idempotency-key': 'chk-live-bad' } });
    expect(r.status).toBe(502);
    expect(r.body.error).toMatchObject({
      code: 'STRIPE_FAILED',
      details: { type: 'StripeInvalidRequestError', code: 'parameter_invalid_integer', requestId: `req_FAKE000${stripeCalls.length}` },
    });
    expect(stripeCalls.at(-1)!.headers['idempotency-key']).toBe('checkout:default:chk-live-bad');
    expect(await count('SELECT count(*)::int AS n FROM checkout_sessions')).toBe(before);
  });

  it('Stripe: a newer pay link for an estimate expires the older one at Stripe; if the older was paid first, the newer is expired and the call answers 409', async () => {
    const estimateId: string = (await app.call('POST', '/api/v1/estimates', { status: 'accepted', output: { totals: { total: 500 } } }))
      .body.estimate.id;
    const create = (key: string, body: Record<string, unknown> = {}) =>
      app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId, ...body }, { headers: { 'idempotency-key': key } });
    const statuses = async () =>
      (
        await db().system((tx) =>
          tx.query<{ id: string; status: string }>(
            `SELECT id, status FROM checkout_sessions WHERE estimate_id = $1 ORDER BY created_at, id`,
            [estimateId],
          ),
        )
      ).rows;
    sessionIds.push('cs_test_FAKEold0001', 'cs_test_FAKEnew0001');
    expect((await create('chk-sup-1')).status).toBe(201);
    const deposit = await create('chk-sup-2', { amountUsd: 100 });
    expect(deposit.status, JSON.stringify(deposit.body)).toBe(201);
    expect(deposit.body.session).toMatchObject({ id: 'cs_test_FAKEnew0001', status: 'open', amountUsd: 100 });
    expect(expireCalls).toEqual(['cs_test_FAKEold0001']);
    expect(await statuses()).toEqual([
      { id: 'cs_test_FAKEold0001', status: 'expired' },
      { id: 'cs_test_FAKEnew0001', status: 'open' },
    ]);

    // The customer pays the deposit link; its event has not arrived when the next link is asked for.
    paidAtStripe.add('cs_test_FAKEnew0001');
    sessionIds.push('cs_test_FAKElate001');
    const late = await create('chk-sup-3');
    expect(late.status, JSON.stringify(late.body)).toBe(409);
    expect(late.body.error.code).toBe('PAYMENT_PENDING');
    expect(expireCalls).toEqual(['cs_test_FAKEold0001', 'cs_test_FAKEnew0001', 'cs_test_FAKElate001']);
    expect(await statuses()).toEqual([
      { id: 'cs_test_FAKEold0001', status: 'expired' },
      { id: 'cs_test_FAKEnew0001', status: 'open' },
      { id: 'cs_test_FAKElate001', status: 'expired' },
    ]);
  });

  it('Stripe: a live webhook signed with STRIPE_WEBHOOK_SECRET completes the payment exactly once', async () => {
    const payload = JSON.stringify({
      id: 'evt_FAKE1live0001',
      object: 'event',
      type: 'checkout.session.completed',
      created: 1767225700,
      livemode: false,
      data: { object: { ...session, status: 'complete', payment_status: 'paid', payment_intent: 'pi_FAKE1live0001' } },
    });
    const stripe = new Stripe(STRIPE_KEY);
    const send = (secret: string) =>
      app.call('POST', '/api/v1/stripe-revenue/webhook', undefined, {
        key: null,
        raw: payload,
        headers: { 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret }) },
      });
    expect((await send('whsec_someoneElse0000')).status).toBe(400);
    expect(await count('SELECT count(*)::int AS n FROM payments')).toBe(0);
    expect((await send(WEBHOOK_SECRET)).body).toMatchObject({ received: true, applied: true });
    expect((await send(WEBHOOK_SECRET)).body).toMatchObject({ received: true, applied: false, duplicate: true });
    expect(
      await count(
        `SELECT count(*)::int AS n FROM payments WHERE checkout_session_id = $1 AND amount_minor = 840050 AND currency = 'usd' AND status = 'paid'`,
        [session.id],
      ),
    ).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM checkout_sessions WHERE id = $1 AND status = 'complete'`, [session.id])).toBe(1);
  });

  it('SendGrid: POST /v3/mail/send with the message, the unsubscribe link and header; a retried send is not sent twice', async () => {
    const send = { to: 'Pat@Example.com', subject: 'Your roof estimate', body: 'Hi Pat, your estimate is ready.', idempotencyKey: 'sg-1' };
    const r = await app.call('POST', '/api/v1/email-automation/send', send);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ replayed: false, email: { to: 'pat@example.com', provider: 'sendgrid', status: 'sent' } });
    expect(sendgridCalls).toHaveLength(1);
    const call = sendgridCalls[0]!;
    expect(call.headers['authorization']).toBe(`Bearer ${SENDGRID_KEY}`);
    const msg = JSON.parse(call.body);
    expect(msg.personalizations).toEqual([{ to: [{ email: 'pat@example.com' }] }]);
    expect(msg.from).toEqual({ email: 'hello@roof.example', name: 'Roof Co' });
    expect(msg.subject).toBe('Your roof estimate');
    expect(msg.custom_args).toEqual({ idempotency_key: 'email:sg-1' });
    const text: string = msg.content[0].value;
    expect(msg.content[0].type).toBe('text/plain');
    expect(text).toContain('Hi Pat, your estimate is ready.');
    const link = /https:\/\/roof\.example(\/unsubscribe\/[\w.-]+)/.exec(text);
    expect(link).not.toBeNull();
    expect(msg.headers).toEqual({ 'List-Unsubscribe': `<${BASE}${link![1]}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    const providerId = await db().system((tx) =>
      tx.query<{ provider_id: string }>(`SELECT provider_id FROM email_outbox WHERE idempotency_key = 'email:sg-1'`),
    );
    expect(providerId.rows[0]?.provider_id).toBe('sg-msg-1');

    const retried = await app.call('POST', '/api/v1/email-automation/send', send);
    expect(retried.body).toMatchObject({ replayed: true, email: { status: 'sent' } });
    expect(sendgridCalls).toHaveLength(1);

    // The link's one-click POST works, and the address is suppressed from then on (no call).
    expect(
      (
        await app.call('POST', link![1]!, undefined, {
          key: null,
          raw: 'List-Unsubscribe=One-Click',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
      ).status,
    ).toBe(200);
    const after = await app.call('POST', '/api/v1/email-automation/send', { ...send, idempotencyKey: 'sg-2' });
    expect(after.body.email.status).toBe('suppressed');
    expect(sendgridCalls).toHaveLength(1);
  });

  it('SendGrid: a 5xx is reported (502) and kept; email_outbox_retry_due delivers it later, once', async () => {
    sendgridScript.push(503);
    const send = { to: 'sam@example.com', subject: 'Checking in', body: 'Still interested?', idempotencyKey: 'sg-503' };
    const r = await app.call('POST', '/api/v1/email-automation/send', send);
    expect(r.status).toBe(502);
    expect(r.body.error.code).toBe('EMAIL_PROVIDER_FAILED');
    expect(sendgridCalls).toHaveLength(2);
    const row = async () =>
      (
        await db().system((tx) =>
          tx.query<{ status: string; attempts: number; last_error: string | null }>(
            `SELECT status, attempts, last_error FROM email_outbox WHERE idempotency_key = 'email:sg-503'`,
          ),
        )
      ).rows[0];
    expect(await row()).toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringContaining('503') });
    // Same key again: the dedup holds (no second call); the row is not lost either.
    expect((await app.call('POST', '/api/v1/email-automation/send', send)).body).toMatchObject({
      replayed: true,
      email: { status: 'failed' },
    });
    expect(sendgridCalls).toHaveLength(2);
    // Too recent for the default delay (10 minutes): untouched.
    expect((await app.call('POST', '/api/v1/email-automation/retry-due', {})).body).toEqual({ sent: 0, failed: 0, suppressed: 0 });
    expect(sendgridCalls).toHaveLength(2);

    const due = await app.call('POST', '/api/v1/email-automation/retry-due', { olderThanMinutes: 0 });
    expect(due.body).toEqual({ sent: 1, failed: 0, suppressed: 0 });
    expect(sendgridCalls).toHaveLength(3);
    expect(JSON.parse(sendgridCalls[2]!.body)).toMatchObject({
      personalizations: [{ to: [{ email: 'sam@example.com' }] }],
      custom_args: { idempotency_key: 'email:sg-503' },
    });
    expect(await row()).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
    expect((await app.call('POST', '/api/v1/email-automation/retry-due', { olderThanMinutes: 0 })).body).toEqual({
      sent: 0,
      failed: 0,
      suppressed: 0,
    });
    expect(sendgridCalls).toHaveLength(3);
  });

  it('email_outbox_retry_due: re-sends a row left queued by a crash, not an in-flight one, and gives up after maxAttempts', async () => {
    const insert = (key: string, to: string, ageMinutes: number, status = 'queued', attempts = 1) =>
      db().system((tx) =>
        tx.query(
          `INSERT INTO email_outbox (tenant_id, to_address, subject, body, provider, status, idempotency_key, attempts, last_attempt_at)
           VALUES ('default', $1, 'Left behind', 'Body', 'sendgrid', $2, $3, $4, now() - make_interval(mins => $5))`,
          [to, status, key, attempts, ageMinutes],
        ),
      );
    await insert('crashed', 'crash@example.com', 20);
    await insert('inflight', 'inflight@example.com', 0);
    await insert('exhausted', 'gone@example.com', 60, 'failed', 5);
    const before = sendgridCalls.length;
    expect((await app.call('POST', '/api/v1/email-automation/retry-due', {})).body).toEqual({ sent: 1, failed: 0, suppressed: 0 });
    expect(sendgridCalls.length).toBe(before + 1);
    expect(JSON.parse(sendgridCalls.at(-1)!.body).personalizations[0].to[0].email).toBe('crash@example.com');
    const statuses = await db().system((tx) =>
      tx.query<{ idempotency_key: string; status: string }>(
        `SELECT idempotency_key, status FROM email_outbox WHERE idempotency_key IN ('crashed', 'inflight', 'exhausted') ORDER BY 1`,
      ),
    );
    expect(statuses.rows).toEqual([
      { idempotency_key: 'crashed', status: 'sent' },
      { idempotency_key: 'exhausted', status: 'failed' },
      { idempotency_key: 'inflight', status: 'queued' },
    ]);
  });
});

describe('SMTP (nodemailer) to a server on loopback', () => {
  let sink: SmtpSink;
  let app: TestApp;
  beforeAll(async () => {
    sink = await startSmtpSink();
    app = await startTestApp('pglite', {
      worker: false,
      env: { SMTP_URL: sink.url, EMAIL_FROM: 'Roof Co <hello@roof.example>', PUBLIC_BASE_URL: BASE },
    });
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await sink?.close();
  });

  it('delivers the email with the unsubscribe link and List-Unsubscribe, once per idempotency key', async () => {
    const send = { to: 'lee@example.com', subject: 'Inspection booked', body: 'See you Tuesday.', idempotencyKey: 'smtp-1' };
    const r = await app.call('POST', '/api/v1/email-automation/send', send);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.email).toMatchObject({ provider: 'smtp', status: 'sent' });
    expect(sink.messages).toHaveLength(1);
    const m = sink.messages[0]!;
    expect(m.from).toBe('hello@roof.example');
    expect(m.to).toEqual(['lee@example.com']);
    // Unfold headers and undo quoted-printable soft breaks before reading.
    const raw = m.data
      .replace(/\r\n[ \t]+/g, ' ')
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    expect(raw).toMatch(/^Subject: Inspection booked$/m);
    expect(raw).toMatch(/^X-Idempotency-Key: email:smtp-1$/m);
    expect(raw).toContain('See you Tuesday.');
    const link = /https:\/\/roof\.example\/unsubscribe\/[\w.-]+/.exec(raw)?.[0];
    expect(link).toBeDefined();
    expect(raw).toContain(`List-Unsubscribe: <${link}>`);
    expect(raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    expect((await app.call('POST', '/api/v1/email-automation/send', send)).body.replayed).toBe(true);
    expect(sink.messages).toHaveLength(1);
  });

  it('bulk-sender rules: a GET of the link only confirms; the one-click POST (no key) unsubscribes before the next send', async () => {
    const send = (key: string) =>
      app.call('POST', '/api/v1/email-automation/send', {
        to: 'mo@example.com',
        subject: 'Spring offer',
        body: 'Ten percent off gutters.',
        idempotencyKey: key,
      });
    expect((await send('offer-1')).body.email).toMatchObject({ status: 'sent' });
    const raw = sink.messages.at(-1)!.data.replace(/\r\n[ \t]+/g, ' ');
    const header = /^List-Unsubscribe: <([^>]+)>$/m.exec(raw)?.[1];
    expect(header).toMatch(/^https:\/\/roof\.example\/unsubscribe\//);
    expect(raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    const path = header!.slice(BASE.length);
    // What a mail scanner does: fetch the link. A confirmation page, nothing changes.
    const page = await app.call('GET', path, undefined, { key: null });
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<form method="post"/);
    expect((await send('offer-2')).body.email).toMatchObject({ status: 'sent' });
    expect(sink.messages.filter((m) => m.to.includes('mo@example.com'))).toHaveLength(2);
    // What Gmail's one-click does (RFC 8058): POST the form body, no API key.
    const forged = await app.call('POST', path.slice(0, -10) + (path.at(-10) === 'A' ? 'B' : 'A') + path.slice(-9), undefined, {
      key: null,
      raw: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(forged.status).toBe(400);
    const click = await app.call('POST', path, undefined, {
      key: null,
      raw: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(click.status).toBe(200);
    expect((await send('offer-3')).body.email).toMatchObject({ status: 'suppressed' });
    expect(sink.messages.filter((m) => m.to.includes('mo@example.com'))).toHaveLength(2);
  });
});
