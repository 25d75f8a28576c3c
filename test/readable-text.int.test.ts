/**
 * Text a customer or an operator reads back must show something and carry no control codes
 * (runtime/text.ts label and readableText), on every route it enters: a subject or body of only
 * zero-width spaces, a blank Braille pattern, an escape sequence is a 400 naming the field, and
 * nothing is stored or sent. On the embedded database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './harness.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('pglite', { worker: false });
}, 60_000);
afterAll(() => app?.stop());

const count = async (table: string) => (await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n;
const page = { title: 'Spring roofs', headline: 'New roof, no stress', body: 'We replace roofs in a day.', cta: 'Get my estimate' };

describe('readable text', () => {
  it.each([
    ['email_outbox', '/api/v1/email-automation/send', { to: 'e@example.com', subject: '\u200b', body: 'Hello' }, 'subject'],
    ['email_outbox', '/api/v1/email-automation/send', { to: 'e@example.com', subject: 'Hi', body: '\u200b\u200b' }, 'body'],
    ['email_outbox', '/api/v1/email-automation/send', { to: 'e@example.com', subject: 'Hi', body: 'red \u001b[31malert' }, 'body'],
    [
      'email_sequences',
      '/api/v1/email-automation/sequences',
      { name: 'Follow-up', steps: [{ delayDays: 0, subject: '\u200b', body: '\u200b\u200b' }] },
      'subject',
    ],
    ['landing_pages', '/api/v1/landing-pages/publish', { ...page, body: '\u2800' }, 'body'],
    ['landing_pages', '/api/v1/landing-pages/publish', { ...page, cta: '\u200b' }, 'cta'],
    ['customers', '/api/v1/crm/customers', { name: '\u2800' }, 'name'],
    ['customers', '/api/v1/crm/customers', { name: 'Bob\u001b[31m' }, 'name'],
    ['customers', '/api/v1/crm/customers', { name: '\u0301' }, 'name'],
    [
      'ads_campaigns',
      '/api/v1/ads/campaigns',
      { name: 'Spring', channel: 'google_search', dailyBudgetUsd: 20, keywords: ['\u200b'] },
      'keywords',
    ],
  ])('refuses unreadable text in %s (%s) with a 400 naming the field, storing nothing', async (table, path, body, field) => {
    const before = await count(table);
    const r = await app.call('POST', path, body);
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(JSON.stringify(r.body.error)).toContain(field);
    expect(r.body.error.message).toMatch(/visible character|control characters/);
    expect(await count(table)).toBe(before);
  });

  // What a table holds, to see that a refused request changed nothing: its rows, or (tenants) the setting itself.
  const held = async (table: string) =>
    table === 'tenants'
      ? JSON.stringify(await app.query(`SELECT id, daily_budget_usd FROM tenants ORDER BY id`))
      : String(await count(table));
  const task = (agent: string, input: object) => [`/api/v1/agents/${agent}/tasks`, { input }] as const;

  it.each([
    // Agents: the text would reach customer copy, or fail only after a person approved it.
    ['tasks', ...task('landing-page', { title: 'Tg', area: 'Den\u001bver' }), 'area', /control characters/],
    ['tasks', ...task('landing-page', { title: 'Tg', service: '\u200b' }), 'service', /visible character/],
    ['tasks', ...task('landing-page', { title: 'Tg', audience: '\u2800' }), 'audience', /visible character/],
    ['tasks', ...task('ad-manager', { product: '\u200b' }), 'product', /visible character/],
    ['tasks', ...task('ad-manager', { area: '\u001b[31mDenver' }), 'area', /control characters/],
    ['tasks', ...task('billing', { company: '\u200b' }), 'company', /visible character/],
    ['tasks', ...task('billing', { company: 'ACME\u001b[2J' }), 'company', /control characters/],
    ['tasks', '/api/v1/ai-competitor-analysis?wait=0', { market: '\u200b' }, 'market', /visible character/],
    ['tasks', '/api/v1/ai-competitor-analysis?wait=0', { ourServiceArea: ['\u200e'] }, 'ourServiceArea', /visible character/],
    ['tasks', ...task('email-outreach', { unsubscribed: ['\u200b'] }), 'unsubscribed', /email address/],
    ['tasks', ...task('email-outreach', { unsubscribed: ['not an email'] }), 'unsubscribed', /email address/],
    ['tasks', ...task('aurea', { message: 'send \u001b[2J' }), 'message', /control characters/],
    // Stored text, read back by people (the public product list, the CRM, a published page).
    [
      'ads_campaigns',
      '/api/v1/ads/campaigns',
      { name: 'Spring', channel: 'google_search', dailyBudgetUsd: 20, targetArea: ['\u200e'] },
      'targetArea',
      /visible character/,
    ],
    ['products', '/api/v1/products', { sku: 'pz', name: 'ok', priceUsd: 1, description: '\u001b[2J' }, 'description', /control characters/],
    ['customers', '/api/v1/crm/customers', { name: 'Bob', notes: '\u001b[31m' }, 'notes', /control characters/],
    ['contacts', '/api/v1/crm/contacts', { name: 'Ann', role: '\u200b' }, 'role', /visible character/],
    ['leads', '/api/v1/pipeline/leads', { name: 'Ann', notes: '\u2800' }, 'notes', /visible character/],
    ['landing_pages', '/api/v1/landing-pages/publish', { ...page, model: '\u200b' }, 'model', /visible character/],
    ['competitors', '/api/v1/competitors', { name: 'Acme', serviceArea: ['\u200b'] }, 'serviceArea', /visible character/],
    // Money in whole cents.
    ['tenants', '/api/v1/admin/tenants/default', { dailyBudgetUsd: 10.005 }, 'dailyBudgetUsd', /whole cents/],
  ])('refuses %s input at %s %j with a 400 naming %s, changing nothing', async (table, path, body, field, says) => {
    const before = await held(table);
    const method = /^\/api\/v1\/(products|competitors)$/.test(path) ? 'PUT' : path.startsWith('/api/v1/admin/tenants') ? 'PATCH' : 'POST';
    const r = await app.call(method, path, body);
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(JSON.stringify(r.body.error)).toContain(field);
    expect(JSON.stringify(r.body.error)).toMatch(says);
    expect(await held(table)).toBe(before);
  });

  it('reads an unsubscribed address as the CRM stores it (trimmed, lower-cased)', async () => {
    const { emailOutreachInput } = await import('../agents/email-outreach/index.ts');
    expect(emailOutreachInput.parse({ unsubscribed: [' Ann@Example.COM '] }).unsubscribed).toEqual(['ann@example.com']);
  });

  it('trims zero-width characters from the ends of a name, and keeps the text that shows', async () => {
    const r = await app.call('POST', '/api/v1/crm/customers', { name: '  Api Spaced \u200b' });
    expect([r.status, r.body.customer?.name]).toEqual([201, 'Api Spaced']);
    const sent = await app.call('POST', '/api/v1/email-automation/send', {
      to: 'e@example.com',
      subject: 'Your roof',
      body: 'Hello,\n\n\tMonday at 8.',
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  });

  it('refuses an estimate addressed to a name that shows nothing', async () => {
    const r = await app.call('POST', '/api/v1/agents/estimator/tasks', {
      input: { roofAreaSqFt: 2000, pitch: '6/12', material: 'architectural_shingle', customerName: '\u200b' },
    });
    expect([r.status, JSON.stringify(r.body.error)]).toEqual([400, expect.stringContaining('customerName')]);
  });
});
