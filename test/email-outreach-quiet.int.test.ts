/**
 * email-outreach's quiet period, decided from the email outbox (what was sent), not from memory:
 * a run after a big one leaves everyone it wrote to alone, however many; two runs approved
 * together write to a person once (the check holds at the send, under a lock per address), and
 * the one held back says so in its output. On PostgreSQL, where sends really run concurrently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFLINE } from '../runtime/models.ts';
import { eventually, startTestApp, type TestApp } from './harness.ts';

let app: TestApp;
beforeAll(async () => {
  // Emails wait for a person (the approvals below).
  app = await startTestApp('pg', { overrides: { model: OFFLINE }, env: { APPROVAL_POLICY: 'email.send=0' } });
}, 60_000);
afterAll(() => app?.stop());

const tool = (name: string, input: unknown) =>
  app.proc.tools.call(name, input, { tenantId: 'default', caller: { kind: 'system' } }) as Promise<any>;
const task = async (id: string) => (await app.call('GET', `/api/v1/tasks/${id}`)).body.task;
const start = async (input: unknown): Promise<string> => {
  const r = await app.call('POST', '/api/v1/agents/email-outreach/tasks', { input });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return r.body.task.id;
};
const settled = (id: string, states = ['succeeded', 'failed', 'awaiting_approval']) =>
  eventually(async () => {
    const t = await task(id);
    return states.includes(t.status) ? t : undefined;
  }, 60_000);
const approve = async (taskId: string) => {
  const pending = (await app.call('GET', `/api/v1/approvals?status=pending`)).body.approvals.find((a: any) => a.taskId === taskId);
  expect(pending, `approval of ${taskId}`).toBeDefined();
  return app.call('POST', `/api/v1/approvals/${pending.id}`, { decision: 'approve' });
};
const outbox = (to: string) =>
  app.query<{ status: string; outreach: boolean }>(`SELECT status, outreach FROM email_outbox WHERE to_address = $1 ORDER BY created_at`, [
    to,
  ]);

describe('email-outreach quiet period', () => {
  it('leaves everyone a run of 60 emails wrote to alone in the next run, not only 50 of them', async () => {
    const emails = Array.from({ length: 60 }, (_, n) => `bulk${n}@example.com`);
    for (const [n, email] of emails.entries()) await tool('pipeline_lead_create', { name: `Bulk Lead ${n}`, email, source: 'website' });
    const first = await start({ audience: { from: 'leads', stage: 'new' }, perHour: 100 });
    expect((await settled(first)).status).toBe('awaiting_approval');
    expect((await approve(first)).status).toBe(200);
    const done = await settled(first, ['succeeded', 'failed']);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.output.sent).toHaveLength(60);
    expect(done.output.movedToContacted).toHaveLength(60);

    // A minute later: the default audience (stage contacted) is the 60 it just wrote to.
    const second = await start({ audience: { from: 'leads', stage: 'contacted' }, perHour: 100 });
    const next = await settled(second);
    expect(next.status, JSON.stringify(next.output?.drafts?.map((d: any) => d.contactId))).toBe('succeeded');
    expect(next.output).toMatchObject({ status: 'nothing_to_send', audience: 0, sent: [] });
    expect(next.output.excluded.filter((x: any) => x.reason === 'recently_contacted')).toHaveLength(60);
    for (const email of emails) expect((await outbox(email)).map((r) => r.status)).toEqual(['queued']);
  }, 120_000);

  it('sends once when two runs for one lead are approved together; the other reports it skipped, with the reason', async () => {
    const bea = (await tool('pipeline_lead_create', { name: 'Bea Twice', email: 'Bea.Twice@example.com', source: 'website' })).lead;
    await tool('pipeline_lead_move', { id: bea.id, stage: 'qualified' });
    const input = { audience: { from: 'leads', stage: 'qualified' } };
    const ids = [await start(input), await start(input)];
    for (const id of ids) expect((await settled(id)).status).toBe('awaiting_approval');
    // Both were chosen before either sent: the send itself must hold the quiet period.
    for (const id of ids) expect((await task(id)).output ?? null).toBeNull();
    const decided = await Promise.all(ids.map((id) => approve(id)));
    for (const d of decided) expect(d.status).toBe(200);
    const outs = await Promise.all(ids.map(async (id) => (await settled(id, ['succeeded', 'failed'])) as any));
    for (const t of outs) expect(t.status, JSON.stringify(t.error)).toBe('succeeded');
    const sender = outs.find((t) => t.output.sent.length > 0);
    const held = outs.find((t) => t.output.skipped.length > 0);
    expect(sender && held && sender !== held).toBe(true);
    expect(sender.output.sent.map((s: any) => s.email)).toEqual(['bea.twice@example.com']);
    expect(held.output.sent).toEqual([]);
    expect(held.output.skipped).toEqual([
      { contactId: bea.id, email: 'bea.twice@example.com', reason: 'recently_contacted', lastSentAt: expect.any(String) },
    ]);
    expect((await outbox('bea.twice@example.com')).map((r) => r.status).sort()).toEqual(['queued', 'skipped']);
  }, 120_000);

  it('lets one of many concurrent outreach sends to an address through; a repeat of a skipped one answers the same', async () => {
    const to = 'race.quiet@example.com';
    const send = (n: number, extra: object = { outreach: { quietDays: 7 } }) =>
      tool('email_send', { to, subject: 'Hello', body: `Text ${n}`, idempotencyKey: `quiet-race-${n}`, ...extra });
    // Another kind of email (a digest, a quote) does not count for an outreach quiet period.
    expect((await send(99, {})).email.status).toBe('queued');
    // Every connection of the pool open first, so that the sends below really run at once.
    await Promise.all(Array.from({ length: 10 }, () => app.proc.runtime.db.tenant('default', (tx) => tx.query('SELECT pg_sleep(0.05)'))));
    const all = await Promise.all(Array.from({ length: 8 }, (_, n) => send(n)));
    const through = all.filter((r) => r.email.status === 'queued');
    expect(through).toHaveLength(1);
    const skipped = all.filter((r) => r.email.status === 'skipped');
    expect(skipped).toHaveLength(7);
    for (const r of skipped) expect(r.skipped).toMatchObject({ reason: 'recently_contacted', lastEmailId: through[0].email.id });
    const n = all.indexOf(skipped[0]);
    expect(await send(n)).toMatchObject({ replayed: true, email: { status: 'skipped' }, skipped: { reason: 'recently_contacted' } });
    // quietDays 0: no quiet period.
    expect((await send(100, { outreach: { quietDays: 0 } })).email.status).toBe('queued');
    expect(await app.query(`SELECT count(*)::int AS n FROM email_outbox WHERE to_address = $1 AND status = 'queued'`, [to])).toEqual([
      { n: 3 },
    ]);
  });
});
