/**
 * Payment links made at the same moment for one estimate, on PostgreSQL (real concurrency):
 * link creation is serialised per estimate, so concurrent callers asking to reuse the open
 * link all get the one link and none is answered a link that is already expired.
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
});
