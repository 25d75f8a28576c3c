/**
 * Every side effect leaves an audit row, written by the tool-call wrapper from the tool's
 * definition: each side-effecting tool of GET /api/v1/tools is called over HTTP and must
 * leave exactly its declared action with the caller as actor; a replayed call (the same
 * Idempotency-Key) records nothing new; a task's tool calls carry the task as actor and
 * make its trail; a customer's trail gathers what touched the customer's records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './harness.ts';

let app: TestApp;

interface ToolInfo {
  name: string;
  sideEffect: boolean;
  auditAction?: string;
  route: { method: string; path: string };
}
let tools: Map<string, ToolInfo>;

/** Calls a tool at its derived route: path params from the input, the rest as query or body. */
async function callTool(name: string, input: Record<string, unknown>, headers: Record<string, string> = {}) {
  const t = tools.get(name)!;
  const rest = { ...input };
  const path = t.route.path.replace(/:([A-Za-z_]+)/g, (_, p: string) => {
    const v = String(rest[p]);
    delete rest[p];
    return encodeURIComponent(v);
  });
  const bodyless = t.route.method === 'GET' || t.route.method === 'DELETE';
  const qs = bodyless && Object.keys(rest).length ? `?${new URLSearchParams(rest as Record<string, string>)}` : '';
  const r = await app.call(t.route.method, `${path}${qs}`, bodyless ? undefined : rest, { headers });
  expect(r.status, `${name}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
  return r.body;
}

const auditRows = (action: string) =>
  app.query<{ actor: { type: string; id: string }; action: string; subject: string; details: Record<string, unknown> }>(
    `SELECT actor, action, subject, details FROM audit_events WHERE tenant_id = 'default' AND action = $1 ORDER BY id`,
    [action],
  );

beforeAll(async () => {
  app = await startTestApp('pglite', { worker: false });
  const r = await app.call('GET', '/api/v1/tools');
  tools = new Map((r.body.tools as ToolInfo[]).map((t) => [t.name, t]));
});
afterAll(() => app?.stop());

describe('the audit trail of side effects', () => {
  it('records every side-effecting tool once, with its declared action and the caller', async () => {
    const called: string[] = [];
    const call = async (name: string, input: Record<string, unknown>) => {
      called.push(name);
      return callTool(name, input);
    };
    const customer = (await call('crm_customer_create', { name: 'Dana Reyes', email: 'dana@example.com' })).customer;
    await call('crm_customer_update', { id: customer.id, phone: '+1 303 555 0100' });
    const contact = (await call('crm_contact_create', { name: 'Dana', email: 'dana.office@example.com', customerId: customer.id })).contact;
    await call('crm_contact_update', { id: contact.id, role: 'owner' });
    const job = (await call('crm_job_create', { name: 'Re-roof', customerId: customer.id, valueUsd: 12000 })).job;
    await call('crm_job_update', { id: job.id, status: 'scheduled' });
    await call('crm_customers_upsert', { records: [{ externalId: 'CP-1', name: 'Imported Ltd' }] });
    await call('crm_contacts_upsert', { records: [{ externalId: 'CP-1-a', name: 'Imported contact', customerExternalId: 'CP-1' }] });
    await call('crm_jobs_upsert', { records: [{ externalId: 'CP-J1', name: 'Imported job', customerExternalId: 'CP-1' }] });
    const lead = (await call('pipeline_lead_create', { name: 'Dana Reyes', email: 'dana@example.com', customerId: customer.id })).lead;
    await call('pipeline_lead_move', { id: lead.id, stage: 'qualified', note: 'called her' });
    const estimate = (await call('estimates_record', { customerId: customer.id, status: 'accepted', output: { totals: { total: 1000 } } }))
      .estimate;
    await call('stripe_checkout_create', { estimateId: estimate.id });
    await call('competitor_record_upsert', { name: 'Acme Roofing' });
    await call('product_upsert', { sku: 'inspection', name: 'Roof inspection', priceUsd: 99 });
    await call('landing_page_publish', { title: 'Spring roofs', headline: 'New roofs', body: 'We fix roofs.', cta: 'Call us' });
    const campaign = (await call('ads_campaign_create', { name: 'Search', channel: 'google_search', dailyBudgetUsd: 20 })).campaign;
    await call('ads_campaign_apply_plan', { id: campaign.id, dailyBudgetUsd: 25 });
    const seq = (await call('email_sequence_create', { name: 'Welcome', steps: [{ delayDays: 0, subject: 'Hello', body: 'Hi {{name}}' }] }))
      .sequence;
    await call('email_enroll', { sequenceId: seq.id, contactIds: [contact.id] });
    await call('email_sequences_run_due', {});
    await call('email_outbox_retry_due', {});
    const mail = (await call('email_send', { to: 'dana@example.com', subject: 'Your estimate', body: 'It is attached.' })).email;
    const probeTask = (await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 0 } })).body.task.id;
    const digest = (await call('digest_publish', { taskId: probeTask, agent: 'probe', title: 'Weekly', body: 'All quiet.' })).digest;
    await call('digest_mark_emailed', { id: digest.id, to: 'owner@example.com', emailId: mail.id });
    await call('settings_update', { competitorMarkets: ['Denver'] });
    const other = (await call('crm_customer_create', { name: 'Gone Soon' })).customer;
    const otherJob = (await call('crm_job_create', { name: 'Gone job', customerId: other.id })).job;
    const otherContact = (await call('crm_contact_create', { name: 'Gone contact', customerId: other.id })).contact;
    await call('crm_job_delete', { id: otherJob.id });
    await call('crm_contact_delete', { id: otherContact.id });
    await call('crm_customer_delete', { id: other.id });

    // The table above covers every side-effecting tool: a new one must be added here.
    const sideEffecting = [...tools.values()]
      .filter((t) => t.sideEffect)
      .map((t) => t.name)
      .sort();
    expect([...new Set(called)].sort()).toEqual(sideEffecting);

    for (const name of sideEffecting) {
      const t = tools.get(name)!;
      expect(t.auditAction, name).toBeTruthy();
      const rows = (await auditRows(t.auditAction!)).filter((r) => r.details.tool === name);
      const times = called.filter((c) => c === name).length;
      expect(rows.length, `${name} → ${t.auditAction}`).toBe(times);
      for (const row of rows) expect(row.actor.type, name).toBe('api_key');
    }
    expect(await auditRows('email.sent')).toMatchObject([
      { subject: 'email:dana@example.com', details: { subject: 'Your estimate', status: 'queued' } },
    ]);
    expect(await auditRows('lead.moved')).toMatchObject([
      { subject: `lead:${lead.id}`, details: { from: 'new', to: 'qualified', note: 'called her', customerId: customer.id } },
    ]);
    expect(await auditRows('payment.link_created')).toMatchObject([
      { subject: `estimate:${estimate.id}`, details: { amountUsd: 1000, customerId: customer.id } },
    ]);

    // The customer's trail: their record, contact, job, lead, estimate, payment link and emails.
    const trail = await app.call('GET', `/api/v1/crm/customers/${customer.id}/audit`);
    expect(trail.status, JSON.stringify(trail.body)).toBe(200);
    const actions = trail.body.events.map((e: { action: string }) => e.action);
    for (const a of [
      'crm.customer_created',
      'crm.customer_updated',
      'crm.contact_created',
      'crm.job_updated',
      'lead.created',
      'lead.moved',
      'estimate.recorded',
      'payment.link_created',
      'email.sent',
    ])
      expect(actions, a).toContain(a);
    expect(actions).not.toContain('crm.customer_deleted');
    expect(actions).not.toContain('landing.published');
  });

  it('records a replayed call (the same Idempotency-Key) once', async () => {
    const input = { to: 'lee@example.com', subject: 'Once', body: 'Only once.' };
    const first = await callTool('email_send', input, { 'idempotency-key': 'send-lee-1' });
    const again = await callTool('email_send', input, { 'idempotency-key': 'send-lee-1' });
    expect(again.replayed).toBe(true);
    expect(again.email.id).toBe(first.email.id);
    expect((await auditRows('email.sent')).filter((r) => r.subject === 'email:lee@example.com')).toHaveLength(1);
  });

  it('shows what a task did on its trail, with the task as actor', async () => {
    const created = await app.call('POST', '/api/v1/agents/landing-page/tasks', { input: { title: 'Audit page' } });
    const taskId = created.body.task.id as string;
    // No worker in this app: run the tool as that task's agent would (the caller the wrapper sees).
    await app.proc.tools.call(
      'pipeline_lead_create',
      { name: 'From a task' },
      { tenantId: 'default', caller: { kind: 'agent', taskId, agent: 'landing-page' } },
    );
    const trail = await app.call('GET', `/api/v1/audit?task=${taskId}`);
    expect(trail.status).toBe(200);
    expect(trail.body.events.map((e: { action: string }) => e.action)).toEqual(['lead.created', 'task.created']);
    expect(trail.body.events[0]).toMatchObject({
      actor: { type: 'task', id: taskId },
      details: { taskId, agent: 'landing-page', tool: 'pipeline_lead_create' },
    });
    expect((await app.call('GET', '/api/v1/audit?task=not-a-task')).status).toBe(400);
  });
});
