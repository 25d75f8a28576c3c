/**
 * Payment links made at the same moment for one estimate, on PostgreSQL (real concurrency):
 * link creation is serialised per estimate, so concurrent callers asking to reuse the open
 * link all get the one link and none is answered a link that is already expired. A payment,
 * a new link and a decline at the same moment are serialised the same way (the estimate's
 * row): an estimate is never paid twice, and a paid one is never declined.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask, startTestApp, type TestApp } from './harness.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('pg');
}, 60_000);
afterAll(() => app?.stop());

const accepted = async (total: number): Promise<string> => {
  const r = await app.call('POST', '/api/v1/estimates', { status: 'accepted', output: { totals: { total } } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.estimate.id;
};
const pay = (sessionId: string) => app.call('POST', `/sandbox/checkout/${sessionId}/pay`, {}, { key: null });
const paidPayments = (estimateId: string) =>
  app.query<{ id: string }>(`SELECT id FROM payments WHERE estimate_id = $1 AND status = 'paid'`, [estimateId]);
const sessionsOf = (estimateId: string) =>
  app.query<{ id: string; status: string }>(`SELECT id, status FROM checkout_sessions WHERE estimate_id = $1 ORDER BY created_at, id`, [
    estimateId,
  ]);

describe('payment links asked for at the same moment', () => {
  it('8 parallel reuseOpen requests get one open link: one 201 (made), seven 200 (reused)', async () => {
    const estimateId = await accepted(1234.5);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId, reuseOpen: true })),
    );
    for (const a of answers) expect(a.body.session?.status, JSON.stringify(a.body)).toBe('open');
    expect(new Set(answers.map((a) => a.body.session.id)).size).toBe(1);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(answers.filter((a) => a.body.reused === true)).toHaveLength(7);
    expect(await sessionsOf(estimateId)).toEqual([{ id: answers[0]!.body.session.id, status: 'open' }]);
  });

  it('two billing runs at once both carry the one open link', async () => {
    const estimateId = await accepted(777);
    const [a, b] = await Promise.all([runTask(app, 'billing', {}), runTask(app, 'billing', {})]);
    expect(a.status, JSON.stringify(a.error)).toBe('succeeded');
    expect(b.status, JSON.stringify(b.error)).toBe('succeeded');
    const url = (t: { output: { invoices: { estimateId: string; checkoutUrl?: string }[] } }) =>
      t.output.invoices.find((i) => i.estimateId === estimateId)?.checkoutUrl;
    expect(url(a)).toEqual(expect.any(String));
    expect(url(b)).toBe(url(a));
    const rows = await sessionsOf(estimateId);
    expect(rows).toEqual([{ id: expect.any(String), status: 'open' }]);
  });

  it('parallel new links (no reuse) leave exactly one open: the last one made', async () => {
    const estimateId = await accepted(500);
    const answers = await Promise.all(Array.from({ length: 4 }, () => app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId })));
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(201);
    const rows = await sessionsOf(estimateId);
    expect(rows).toHaveLength(4);
    expect(rows.filter((r) => r.status === 'open')).toHaveLength(1);
  });
});

describe('a payment at the same moment as a new link or a decline', () => {
  const ROUNDS = 20;

  it('paying the open link while a new one is asked for: the estimate is paid once, and no link stays open on it', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const estimateId = await accepted(300);
      const old = (await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId })).body.session.id as string;
      const [paid, link] = await Promise.all([pay(old), app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId })]);
      const what = `round ${round}: pay ${paid.status} ${JSON.stringify(paid.body)}; checkout ${link.status} ${JSON.stringify(link.body)}`;
      if (paid.status === 200) {
        // Paid first: the balance is nothing now, so no new link is made.
        expect(paid.body, what).toMatchObject({ applied: true });
        expect(link.status, what).toBe(409);
        expect(['NOTHING_TO_PAY', 'PAYMENT_PENDING'], what).toContain(link.body.error.code);
      } else {
        // The new link first: it replaced the old one, which can no longer be paid.
        expect(paid.status, what).toBe(409);
        expect(paid.body.error, what).toMatchObject({ code: 'CHECKOUT_SESSION_EXPIRED', details: { reason: 'replaced' } });
        expect(link.status, what).toBe(201);
        expect(link.body.session.status, what).toBe('open');
        expect((await pay(link.body.session.id)).body, what).toMatchObject({ applied: true });
      }
      expect(await paidPayments(estimateId), what).toHaveLength(1);
      expect(
        (await sessionsOf(estimateId)).filter((s) => s.status === 'open'),
        what,
      ).toEqual([]);
    }
  });

  it('a payment applied while a newer link is open expires that link in the same transaction', async () => {
    // Two links open at once cannot be made through the API (a new one expires the older), but a
    // session paid at Stripe arrives as an event whatever else is open: that link is expired.
    const estimateId = await accepted(320);
    const first = (await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId })).body.session.id as string;
    const second = (await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId })).body.session.id as string;
    await app.query(`UPDATE checkout_sessions SET status = 'open', expired_reason = NULL WHERE id = $1`, [first]);
    expect((await pay(first)).body).toMatchObject({ applied: true });
    expect(await sessionsOf(estimateId)).toEqual([
      { id: first, status: 'complete' },
      { id: second, status: 'expired' },
    ]);
    const stale = await pay(second);
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'CHECKOUT_SESSION_EXPIRED', details: { reason: 'payment_pending' } });
    expect(await paidPayments(estimateId)).toHaveLength(1);
  });

  it('paying the open link while the estimate is declined: never a declined estimate with a paid payment', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const estimateId = await accepted(300);
      const link = (await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId })).body.session.id as string;
      const [paid, declined] = await Promise.all([
        pay(link),
        app.call('POST', '/api/v1/estimates', { id: estimateId, status: 'declined' }),
      ]);
      const what = `round ${round}: pay ${paid.status} ${JSON.stringify(paid.body)}; decline ${declined.status} ${JSON.stringify(declined.body)}`;
      const [estimate] = await app.query<{ status: string }>(`SELECT status FROM estimates WHERE id = $1`, [estimateId]);
      if (paid.status === 200) {
        expect(paid.body, what).toMatchObject({ applied: true });
        expect(declined.status, what).toBe(409);
        expect(declined.body.error.code, what).toBe('ESTIMATE_PAID');
        expect(estimate!.status, what).toBe('accepted');
        expect(await paidPayments(estimateId), what).toHaveLength(1);
      } else {
        expect(paid.status, what).toBe(409);
        expect(paid.body.error, what).toMatchObject({ code: 'CHECKOUT_SESSION_EXPIRED', details: { reason: 'estimate:declined' } });
        expect(declined.status, what).toBe(200);
        expect(estimate!.status, what).toBe('declined');
        expect(await paidPayments(estimateId), what).toEqual([]);
      }
      expect(
        (await sessionsOf(estimateId)).filter((s) => s.status === 'open'),
        what,
      ).toEqual([]);
    }
  });

  it('a checkout for an estimate with a pending payment answers 409 PAYMENT_PENDING and makes no link', async () => {
    const estimateId = await accepted(330);
    const link = (await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId })).body.session as { id: string };
    // A delayed method (a bank debit): completed, not paid yet.
    const event = JSON.stringify({
      id: `evt_pending_${link.id.slice(-12)}`,
      object: 'event',
      type: 'checkout.session.completed',
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          id: link.id,
          object: 'checkout.session',
          mode: 'payment',
          amount_total: 33000,
          currency: 'usd',
          payment_status: 'unpaid',
          payment_intent: `pi_pending_${link.id.slice(-12)}`,
          subscription: null,
          invoice: null,
        },
      },
    });
    const signature = await app.proc.services.payments.sign(event);
    const sent = await app.call('POST', '/api/v1/stripe-revenue/webhook', undefined, {
      key: null,
      raw: event,
      headers: { 'stripe-signature': signature },
    });
    expect(sent.body).toMatchObject({ applied: true });
    const again = await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId });
    expect(again.status, JSON.stringify(again.body)).toBe(409);
    expect(again.body.error.code).toBe('PAYMENT_PENDING');
    expect(await sessionsOf(estimateId)).toEqual([{ id: link.id, status: 'complete' }]);
  });
});

describe('an expired link says why', () => {
  it('a link expired because its estimate was declined says so, not that a newer link replaced it', async () => {
    const estimateId = await accepted(300);
    const link = await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId });
    expect(link.status).toBe(201);
    const declined = await app.call('POST', '/api/v1/estimates', { id: estimateId, status: 'declined' });
    expect(declined.status, JSON.stringify(declined.body)).toBe(200);
    const pay = await app.call('POST', `/sandbox/checkout/${link.body.session.id}/pay`, {}, { key: null });
    expect(pay.status).toBe(409);
    expect(pay.body.error.code).toBe('CHECKOUT_SESSION_EXPIRED');
    expect(pay.body.error.message).toMatch(/its estimate was declined/);
    expect(pay.body.error.message).not.toMatch(/newer payment link/);
  });

  it('a link replaced by a newer one says that', async () => {
    const estimateId = await accepted(310);
    const old = await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId });
    await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId, amountUsd: 10 });
    const pay = await app.call('POST', `/sandbox/checkout/${old.body.session.id}/pay`, {}, { key: null });
    expect(pay.status).toBe(409);
    expect(pay.body.error.message).toMatch(/a newer payment link for its estimate replaced it/);
  });

  it('the pay page of an expired link says why, and what to do', async () => {
    const estimateId = await accepted(340);
    const old = (await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId })).body.session.id as string;
    const replaced = await app.call('GET', `/sandbox/checkout/${old}`, undefined, { key: null });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatch(/status: open/);
    const newer = (await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId })).body.session.id as string;
    const page = await app.call('GET', `/sandbox/checkout/${old}`, undefined, { key: null });
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/This payment link has expired: a newer payment link for its estimate replaced it\./);
    expect(page.body).toMatch(/Pay with the newest link/);
    expect(page.body).not.toMatch(/<form/);
    expect((await app.call('POST', '/api/v1/estimates', { id: estimateId, status: 'declined' })).status).toBe(200);
    const declined = await app.call('GET', `/sandbox/checkout/${newer}`, undefined, { key: null });
    expect(declined.body).toMatch(/This payment link has expired: its estimate was declined\./);
    expect(declined.body).not.toMatch(/newer payment link/);
  });
});
