/**
 * The audit trail through the API: who created each task (key, parent, schedule), pages with
 * a cursor, filters by subject and action, stays inside the tenant, and rejects bad queries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../runtime/guardrails/index.ts';
import { createKey } from '../runtime/keys.ts';
import { startTestApp, type TestApp } from './harness.ts';

let app: TestApp;
let other: string;

beforeAll(async () => {
  app = await startTestApp('pglite', { worker: false });
  other = (await createKey(app.proc.runtime.db, 'other', ['admin'], 'other')).key;
});
afterAll(() => app?.stop());

describe('audit trail', () => {
  it('records who created each task and pages through it newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 0 } });
      ids.push(r.body.task.id);
    }
    // A tool's outbound side effect, recorded with the helper tools call.
    await audit(app.proc.runtime.db, 'default', {
      actor: { type: 'task', id: ids[0]! },
      action: 'email.sent',
      subject: 'email:dana@example.com',
      details: { messageId: 'm1' },
    });

    const page1 = await app.call('GET', '/api/v1/audit?action=task.created&limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.events.map((e: { subject: string }) => e.subject)).toEqual([`task:${ids[2]}`, `task:${ids[1]}`]);
    expect(page1.body.events[0].actor).toMatchObject({ type: 'api_key' });
    const page2 = await app.call('GET', `/api/v1/audit?action=task.created&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.events.map((e: { subject: string }) => e.subject)).toEqual([`task:${ids[0]}`]);
    expect(page2.body.nextCursor).toBeNull();

    const sentMail = await app.call('GET', '/api/v1/audit?subject=email:dana@example.com');
    expect(sentMail.body.events).toMatchObject([
      { action: 'email.sent', actor: { type: 'task', id: ids[0] }, details: { messageId: 'm1' } },
    ]);
    // Another tenant sees none of it.
    expect((await app.call('GET', '/api/v1/audit', undefined, { key: other })).body.events).toEqual([]);
  });

  it('rejects a bad query with a 400 in the API shape', async () => {
    for (const q of ['limit=0', 'cursor=abc', 'action=bad action']) {
      const r = await app.call('GET', `/api/v1/audit?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code).toMatch(/INVALID_/);
    }
    // A cursor of another list, or 0 (no page starts there), is not one this list returned.
    const tasksCursor = Buffer.from('2026-12-02 14:40:12.123456+00|0b5e8a52-6f1c-4c3e-9d7a-2f4b1c9e8a77').toString('base64url');
    for (const cursor of [tasksCursor, '0']) {
      const r = await app.call('GET', `/api/v1/audit?cursor=${cursor}`);
      expect([r.status, r.body.error?.code], cursor).toEqual([400, 'INVALID_CURSOR']);
    }
  });
});
