/**
 * Every bad request gets a clear 4xx in the API.md error shape and changes nothing.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../runtime/keys.ts';
import { startTestApp, type TestApp } from './harness.ts';

describe('bad input never changes the database', () => {
  let app: TestApp;
  const counts = async () => {
    const r = await app.proc.runtime.db.system((tx) =>
      tx.query<{ tasks: string; events: string }>(
        `SELECT (SELECT count(*) FROM tasks) AS tasks, (SELECT count(*) FROM task_events) AS events`,
      ),
    );
    return r.rows[0];
  };
  beforeAll(async () => {
    app = await startTestApp('pglite', { worker: false, env: { BODY_LIMIT: '2kb' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const cases: [string, () => Promise<{ status: number; body: any }>, number, string][] = [
    [
      'invalid agent input',
      () => app.call('POST', '/api/v1/agents/estimator/tasks', { input: { roofAreaSqFt: -5, pitch: 'steep', material: 'straw' } }),
      400,
      'INVALID_INPUT',
    ],
    [
      'unknown fields in the request',
      () => app.call('POST', '/api/v1/agents/probe/tasks', { input: {}, colour: 'red' }),
      400,
      'INVALID_REQUEST',
    ],
    [
      'a misspelt field of the agent input (an optional one would be silently dropped)',
      () =>
        app.call('POST', '/api/v1/agents/estimator/tasks', {
          input: { roofAreaSqFt: 1800, pitch: '6/12', material: 'architectural_shingle', customerNmae: 'Ana' },
        }),
      400,
      'INVALID_REQUEST',
    ],
    [
      'a misspelt field of a tool body',
      () => app.call('POST', '/api/v1/crm/customers', { name: 'Ana Roof', emial: 'ana@example.com' }),
      400,
      'INVALID_REQUEST',
    ],
    [
      'a misspelt field of a revenue endpoint run by an agent',
      () => app.call('POST', '/api/v1/ai-estimation?wait=0', { roofAreaSqFt: 2000, pitch: '6/12', material: 'metal', zzbogus: 1 }),
      400,
      'INVALID_REQUEST',
    ],
    [
      'an estimate for a customer id that cannot be one',
      () => app.call('POST', '/api/v1/ai-estimation?wait=0', { roofAreaSqFt: 2000, pitch: '6/12', material: 'metal', customerId: 'nope' }),
      400,
      'INVALID_INPUT',
    ],
    [
      'a body with fields on a route that reads none',
      () => app.call('POST', '/api/v1/tasks/3f1c1f7e-59a4-4b8e-9a43-c1a0b2d5e6f7/cancel', { reason: 'x' }),
      400,
      'INVALID_REQUEST',
    ],
    ['unknown agent', () => app.call('POST', '/api/v1/agents/astrologer/tasks', { input: {} }), 404, 'NOT_FOUND'],
    ['unknown task', () => app.call('GET', '/api/v1/tasks/3f1c1f7e-59a4-4b8e-9a43-c1a0b2d5e6f7'), 404, 'NOT_FOUND'],
    ['a task id that is not a uuid', () => app.call('GET', '/api/v1/tasks/not-a-uuid'), 404, 'NOT_FOUND'],
    ['malformed JSON', () => app.call('POST', '/api/v1/agents/probe/tasks', undefined, { raw: '{"input": {' }), 400, 'MALFORMED_JSON'],
    ['a JSON null body for a task', () => app.call('POST', '/api/v1/agents/probe/tasks', undefined, { raw: 'null' }), 400, 'INVALID_BODY'],
    ['a JSON null body for a tool', () => app.call('POST', '/api/v1/crm/customers', undefined, { raw: 'null' }), 400, 'INVALID_BODY'],
    [
      'a JSON body sent as text/plain',
      () =>
        app.call('POST', '/api/v1/agents/probe/tasks', undefined, {
          raw: '{"input": {"steps": 7}, "idempotencyKey": "t1"}',
          headers: { 'content-type': 'text/plain' },
        }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a form body (curl -d without a Content-Type)',
      () =>
        app.call('POST', '/api/v1/agents/probe/tasks', undefined, {
          raw: '{"input":{"steps":1}}',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a public lead form posted as text/plain (not a form, not JSON)',
      () =>
        app.call('POST', '/landing/any-page/leads', undefined, {
          key: null,
          raw: 'name=Dan&email=dan@example.com',
          headers: { 'content-type': 'text/plain' },
        }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'an oversized body',
      () => app.call('POST', '/api/v1/agents/probe/tasks', { input: {}, idempotencyKey: 'x'.repeat(5000) }),
      413,
      'BODY_TOO_LARGE',
    ],
    ['no key', () => app.call('POST', '/api/v1/agents/probe/tasks', { input: {} }, { key: null }), 401, 'UNAUTHORIZED'],
    ['a wrong key', () => app.call('POST', '/api/v1/agents/probe/tasks', { input: {} }, { key: 'bo_not-a-real-key' }), 401, 'UNAUTHORIZED'],
    [
      'a malformed Authorization header',
      () => app.call('GET', '/api/v1/tasks', undefined, { key: null, headers: { authorization: 'Basic abc' } }),
      401,
      'UNAUTHORIZED',
    ],
    ['an unknown route', () => app.call('GET', '/api/v1/nothing-here'), 404, 'ROUTE_NOT_FOUND'],
    ['a bad list filter', () => app.call('GET', '/api/v1/tasks?status=sleeping'), 400, 'INVALID_REQUEST'],
    ['a forged cursor', () => app.call('GET', '/api/v1/tasks?cursor=bm9wZQ'), 400, 'INVALID_CURSOR'],
  ];

  it.each(cases)('rejects %s', async (_name, request, status, code) => {
    const before = await counts();
    const res = await request();
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
    expect(await counts()).toEqual(before);
  });

  it('names a misspelt field at any depth of the body or the agent’s input, with the fields read there', async () => {
    const budget = await app.call('POST', '/api/v1/agents/probe/tasks', { input: {}, budget: { maxCost: 2 } });
    expect(budget.status).toBe(400);
    expect(budget.body.error).toMatchObject({
      code: 'INVALID_REQUEST',
      details: { at: 'body.budget.maxCost', field: 'maxCost', accepted: ['maxCostUsd', 'maxTokens'] },
    });
    const stats = await app.call('POST', '/api/v1/agents/ad-manager/tasks', {
      input: { stats: { 'Spring roofs': { spendUsd: 40, roaS: 3 } } },
    });
    expect(stats.status).toBe(400);
    expect(stats.body.error.details).toMatchObject({ at: 'body.input.stats.Spring roofs.roaS', field: 'roaS' });
    expect(stats.body.error.message).toContain("'roas'");
  });

  it('says which agents there are when one is not found, and how to get a key when one is refused', async () => {
    const r = await app.call('POST', '/api/v1/agents/estimater/tasks', { input: {} });
    expect(r.status).toBe(404);
    expect(r.body.error.message).toMatch(/^Agent 'estimater' was not found\. The agents here are: .*estimator/);
    expect(r.body.error.details.agents).toContain('estimator');
    const twice = await app.call('GET', '/api/v1/tasks?status=queued&status=running');
    expect(twice.status).toBe(400);
    const customer = await app.call('POST', '/api/v1/ai-estimation?wait=0', {
      roofAreaSqFt: 2000,
      pitch: '6/12',
      material: 'metal',
      customerId: 'nope',
    });
    expect(customer.body.error).toMatchObject({
      message: expect.stringMatching(/^customerId: 'nope' is not a CRM customer id/),
      details: { at: 'body.customerId' },
    });
    expect(twice.body.error.message).toBe("The query is invalid: 'status' is given 2 times, and this route reads one value; send it once.");
    const key = await app.call('GET', '/api/v1/tasks', undefined, { key: 'bo_not-a-real-key' });
    expect(key.status).toBe(401);
    expect(key.body.error.message).toContain('npx brainops keys create');
  });

  it('puts the zod issues of invalid input in details', async () => {
    const res = await app.call('POST', '/api/v1/agents/estimator/tasks', { input: { roofAreaSqFt: 2000, pitch: '6/12' } });
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: ['material'] })]);
  });

  it('names the field at fault in the message', async () => {
    const res = await app.call('GET', '/api/v1/tasks?agent=a&agent=b');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^The query is invalid: 'agent' is given 2 times/);
  });

  it('reads a number in a query only as decimal digits, and refuses a parameter the route does not read', async () => {
    const before = await counts();
    // What Number() would have read as 16, 10, 0 or -1 is a 400 naming the field, on routes and tools alike.
    for (const [path, field] of [
      ['/api/v1/tasks?limit=0x10', 'limit'],
      ['/api/v1/tasks?limit=1e1', 'limit'],
      ['/api/v1/tasks?limit=', 'limit'],
      ['/api/v1/tasks?limit=-1', 'limit'],
      ['/api/v1/tasks?limit=2.5', 'limit'],
      ['/api/v1/memory/search?q=roof&k=0x10', 'k'],
      ['/api/v1/audit?limit=1e2', 'limit'],
    ] as const) {
      const res = await app.call('GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body.error.message, path).toBe(`The query is invalid: ${field}: must be a whole number, written in decimal digits.`);
    }
    const tool = await app.call('GET', '/api/v1/crm/customers?limit=0x10');
    expect(tool.status).toBe(400);
    expect(tool.body.error.message).toMatch(/limit: must be a whole number, written in decimal digits/);
    expect((await app.call('GET', '/api/v1/tasks?limit=500')).body.error.message).toBe(
      'The query is invalid: limit: must be between 1 and 200.',
    );
    // Digits (spaces around them ignored) are read as written.
    const ok = await app.call('GET', '/api/v1/tasks?limit=2');
    expect(ok.status).toBe(200);
    expect((await app.call('GET', '/api/v1/tasks?limit=%202%20')).status).toBe(200);

    // A misspelt or unknown filter is a 400 that says what the route reads, not a silently unfiltered answer.
    const kinds = await app.call('GET', '/api/v1/memory/search?q=roof&kinds=estimate');
    expect(kinds.status).toBe(400);
    expect(kinds.body.error).toMatchObject({
      code: 'INVALID_QUERY',
      message: "The query parameter 'kinds' is not one this route reads; it reads 'q', 'agent', 'kind', 'k'.",
      details: { at: 'query.kinds', parameter: 'kinds', accepted: ['q', 'agent', 'kind', 'k'] },
    });
    expect((await app.call('GET', '/api/v1/tasks?statu=failed')).body.error.code).toBe('INVALID_QUERY');
    // A business tool's GET route reads its input schema's names, and not its path parameter from the query.
    const toolQuery = await app.call('GET', '/api/v1/crm/customers?colour=red');
    expect(toolQuery.body.error).toMatchObject({ code: 'INVALID_QUERY', details: { parameter: 'colour' } });
    expect((await app.call('GET', '/api/v1/crm/customers?q=x&limit=5')).status).toBe(200);
    // A route that reads no query refuses one rather than quietly doing what it would do without it.
    for (const [method, path, body] of [
      ['POST', '/api/v1/agents/probe/tasks?wait=1', { input: {} }],
      ['POST', '/api/v1/memory?dryRun=true', { content: 'Dry run?' }],
      ['POST', '/api/v1/crm/customers?dryRun=1', { name: 'Dry Run' }],
      ['GET', '/api/v1/agents?bogus=1', undefined],
    ] as const) {
      const res = await app.call(method, path, body);
      expect(res.status, path).toBe(400);
      expect(res.body.error, path).toMatchObject({ code: 'INVALID_QUERY', details: { accepted: [] } });
    }
    expect((await app.call('GET', '/api/v1/crm/customers?q=Dry')).body.customers).toEqual([]);
    // A query whose percent-encoding is not UTF-8 is refused, not read as U+FFFD.
    for (const path of ['/api/v1/tasks?agent=%FF', '/api/v1/memory/search?q=%C3%28', '/api/v1/memory/search?q=50%']) {
      const res = await app.call('GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body.error, path).toMatchObject({ code: 'MALFORMED_URL', details: { at: 'query' } });
    }
    expect((await app.call('GET', '/api/v1/memory/search?q=caf%C3%A9+roof')).status).toBe(200);
    // Public pages and public tools take what a link carries.
    expect((await app.call('GET', '/api/v1/products/public?utm_source=newsletter', undefined, { key: null })).status).toBe(200);
    expect(await counts()).toEqual(before);

    // OpenAPI shows such a parameter as an integer with its bounds and default.
    const doc = (await app.call('GET', '/openapi.json', undefined, { key: null })).body;
    const limit = doc.paths['/api/v1/tasks'].get.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit).toMatchObject({ required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } });
  });

  it('answers what the HTTP parser refuses (headers over 16 KB, not HTTP) in the JSON error shape too', async () => {
    const long = await app.call('GET', `/api/v1/tasks?agent=${'x'.repeat(20_000)}`);
    expect(long.status).toBe(431);
    expect(long.body).toEqual({ error: { code: 'HEADERS_TOO_LARGE', message: expect.stringContaining('over 16 KB') } });
    const { hostname, port } = new URL(app.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => socket.write('HELLO THERE\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += String(d)));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      error: { code: 'MALFORMED_REQUEST', message: expect.any(String) },
    });
  });

  it('refuses a read-only key on write routes with 403', async () => {
    const { key } = await createKey(app.proc.runtime.db, 'default', ['read'], 'reader');
    const before = await counts();
    const res = await app.call('POST', '/api/v1/agents/probe/tasks', { input: {} }, { key });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    expect((await app.call('GET', '/api/v1/tasks', undefined, { key })).status).toBe(200);
    expect(await counts()).toEqual(before);
  });

  it("never shows one tenant another tenant's tasks", async () => {
    const mine = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1 } });
    const { key: other } = await createKey(app.proc.runtime.db, 'acme', ['admin'], 'acme');
    expect((await app.call('GET', `/api/v1/tasks/${mine.body.task.id}`, undefined, { key: other })).status).toBe(404);
    expect((await app.call('POST', `/api/v1/tasks/${mine.body.task.id}/cancel`, undefined, { key: other })).status).toBe(404);
    const list = await app.call('GET', '/api/v1/tasks', undefined, { key: other });
    expect(list.body.tasks).toEqual([]);
    // Row-level security, not the handler: a hand-written query in acme's transaction sees nothing.
    const raw = await app.proc.runtime.db.tenant('acme', (tx) => tx.query('SELECT id FROM tasks'));
    expect(raw.rows).toEqual([]);
    // ...and cannot write into another tenant's rows either.
    await expect(
      app.proc.runtime.db.tenant('acme', (tx) =>
        tx.query(`INSERT INTO task_events (task_id, tenant_id, type, data) VALUES ($1, 'default', 'log', '{}')`, [mine.body.task.id]),
      ),
    ).rejects.toThrow(/row-level security|violates/);
  });

  it('serves an OpenAPI 3.1 document derived from the agents', async () => {
    const { status, body } = await app.call('GET', '/openapi.json', undefined, { key: null });
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    const est = body.paths['/api/v1/agents/estimator/tasks'].post;
    expect(est.requestBody.content['application/json'].schema.properties.input.properties.material.enum).toContain('metal');
    expect(Object.keys(body.paths)).toContain('/api/v1/agents/probe/tasks');
    expect(body.paths['/api/v1/memory/search'].get.parameters.map((p: { name: string }) => p.name)).toContain('q');
    // `input` is required where the agent has required fields; probe's all have defaults, and {} runs it.
    expect(est.requestBody.content['application/json'].schema.required).toEqual(['input']);
    const probe = body.paths['/api/v1/agents/probe/tasks'].post.requestBody.content['application/json'].schema;
    expect(probe.required ?? []).toEqual([]);
    expect((await app.call('POST', '/api/v1/agents/probe/tasks', {})).status).toBe(202);
    // /docs renders that document in the browser (Swagger UI from this server: test/openapi.int.test.ts).
    const docs = await app.call('GET', '/docs', undefined, { key: null });
    expect(docs.body).toContain('/docs/assets/swagger-ui-bundle.js');
  });

  it("serves Prometheus metrics, without series computed from tenants' data unless asked (test/proxy-metrics)", async () => {
    const { status, body } = await app.call('GET', '/metrics', undefined, { key: null });
    expect(status).toBe(200);
    expect(body).toContain('brainops_http_request_duration_seconds');
    expect(body).not.toContain('brainops_tasks');
  });
});
