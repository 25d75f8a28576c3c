/**
 * X-Forwarded-For is believed only from configured proxies (TRUST_PROXY, off by default), so a
 * client cannot dodge the public routes' rate limit by rotating it; /metrics leaves out
 * series computed from tenants' data unless asked (METRICS_TENANT_DATA) and can require a
 * token (METRICS_TOKEN).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './harness.ts';

// The public assistant's answer is a task of its own (metered and budgeted), so these apps run
// a worker: without one each question would wait for its answer until the route's time limit.

const ask = (app: TestApp, forwardedFor: string) =>
  app.call('POST', '/api/v1/aurea/public', { message: 'Do you fix leaks?' }, { key: null, headers: { 'x-forwarded-for': forwardedFor } });

describe('without TRUST_PROXY (the default)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pg', { env: { PUBLIC_RATE_LIMIT: '3' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('limits one client however it rotates X-Forwarded-For', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await ask(app, `203.0.113.${i + 1}`)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
  });

  it('serves /metrics to anyone, without the task counts of tenants', async () => {
    await app.call('POST', '/api/v1/agents/probe/tasks', { input: {} });
    const m = await app.call('GET', '/metrics', undefined, { key: null });
    expect(m.status).toBe(200);
    expect(m.body).toContain('brainops_http_request_duration_seconds');
    expect(m.body).not.toContain('brainops_tasks');
  });
});

describe('with TRUST_PROXY, METRICS_TOKEN and METRICS_TENANT_DATA', () => {
  let app: TestApp;
  const token = 'metrics-token-for-the-scraper-0001';
  beforeAll(async () => {
    app = await startTestApp('pg', {
      env: { PUBLIC_RATE_LIMIT: '3', TRUST_PROXY: 'loopback', METRICS_TOKEN: token, METRICS_TENANT_DATA: 'true' },
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('counts each forwarded client on its own behind a trusted proxy', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await ask(app, `198.51.100.${i + 1}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    for (let i = 0; i < 3; i++) await ask(app, '198.51.100.200');
    expect((await ask(app, '198.51.100.200')).status).toBe(429);
  });

  it('answers /metrics only to the token, and then with the task counts', async () => {
    await app.call('POST', '/api/v1/agents/probe/tasks', { input: {} });
    expect((await app.call('GET', '/metrics', undefined, { key: null })).status).toBe(401);
    expect((await app.call('GET', '/metrics', undefined, { key: 'not-the-metrics-token-000' })).body.error.code).toBe('UNAUTHORIZED');
    expect((await app.call('GET', '/metrics')).status).toBe(401); // an API key is not the token
    const m = await app.call('GET', '/metrics', undefined, { key: token });
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/brainops_tasks\{agent="probe",status="\w+"\} [1-9]/);
  });
});
