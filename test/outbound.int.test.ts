/**
 * Outbound requests to tenant-supplied URLs (issue 13, item 6): crm-sync's `http` source
 * against real HTTP servers on 127.0.0.1. Refused by default (no request reaches the server),
 * accepted once the tenant allow-lists the host, a redirect to loopback refused even from an
 * allow-listed host, and an upstream error body never echoed. The CRM saved in the business's
 * settings (PATCH /api/v1/settings, read by `crm_source_fetch`) goes through the same guard.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedFetch, refusedRange } from '../runtime/public.ts';
import { runTask, startTestApp, type TestApp } from './harness.ts';

const CUSTOMERS = [
  { external_id: 'OB-1', name: 'Ada Okafor', email: 'ada@example.com' },
  { external_id: 'OB-2', name: 'Ben Ruiz', email: 'ben@example.com' },
];

/** A server on 127.0.0.1 answering by path; `hits` counts every request it saw. */
async function serve(handler: (path: string) => Reply) {
  const hits: string[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    headers.push(req.headers);
    const a = handler(req.url ?? '/');
    res.writeHead(a.status, { 'content-type': 'application/json', ...(a.location ? { location: a.location } : {}) });
    res.end(a.body ?? '');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return { hits, headers, port, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

type Reply = { status: number; body?: string; location?: string };

/** A CRM on 127.0.0.1: the two customers on /customers (page 2 empty), `more` paths, else a 500 whose body must never be echoed. */
function crmServer(more: (path: string) => Reply | undefined) {
  return serve(
    (path) =>
      (path.startsWith('/customers')
        ? { status: 200, body: JSON.stringify(path.includes('page=2') ? { customers: [] } : { customers: CUSTOMERS }) }
        : more(path)) ?? { status: 500, body: 'SECRET-UPSTREAM-BODY internal stack trace' },
  );
}

describe('address classes (ipaddr.js)', () => {
  it('refuses loopback, private, link-local/metadata, CGNAT, unique-local and mapped forms; passes public unicast', () => {
    expect(refusedRange('127.0.0.1')).toBe('loopback');
    expect(refusedRange('10.1.2.3')).toBe('private');
    expect(refusedRange('192.168.0.10')).toBe('private');
    expect(refusedRange('169.254.169.254')).toBe('linkLocal');
    expect(refusedRange('100.100.100.200')).toBe('carrierGradeNat');
    expect(refusedRange('0.0.0.0')).toBe('unspecified');
    expect(refusedRange('::1')).toBe('loopback');
    expect(refusedRange('fd00:ec2::254')).toBe('uniqueLocal');
    expect(refusedRange('::ffff:127.0.0.1')).toBe('loopback');
    expect(refusedRange('93.184.215.14')).toBeUndefined();
    expect(refusedRange('2606:4700:4700::1111')).toBeUndefined();
  });
});

describe('guardedFetch against servers on 127.0.0.1', () => {
  let target: Awaited<ReturnType<typeof serve>>;
  let redirector: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    target = await serve(() => ({ status: 200, body: JSON.stringify({ customers: [] }) }));
    redirector = await serve(() => ({ status: 302, location: `http://localhost:${target.port}/inner` }));
  });
  afterAll(async () => {
    await target?.close();
    await redirector?.close();
  });

  it('refuses an IP literal and a name that resolves to loopback before any request is sent', async () => {
    const before = target.hits.length;
    await expect(guardedFetch(`http://127.0.0.1:${target.port}/x`)).rejects.toMatchObject({
      code: 'OUTBOUND_REFUSED',
      details: { range: 'loopback' },
    });
    await expect(guardedFetch(`http://localhost:${target.port}/x`)).rejects.toMatchObject({ code: 'OUTBOUND_REFUSED' });
    await expect(guardedFetch(`http://[::ffff:127.0.0.1]:${target.port}/x`)).rejects.toMatchObject({ code: 'OUTBOUND_REFUSED' });
    await expect(guardedFetch('file:///etc/passwd')).rejects.toMatchObject({ code: 'OUTBOUND_REFUSED' });
    expect(target.hits.length).toBe(before);
  });

  it('follows a redirect only to an allowed address', async () => {
    const before = target.hits.length;
    await expect(guardedFetch(`http://127.0.0.1:${redirector.port}/`, { allowHosts: ['127.0.0.1'] })).rejects.toMatchObject({
      code: 'OUTBOUND_REFUSED',
    });
    expect(target.hits.length).toBe(before);
    const ok = await guardedFetch(`http://127.0.0.1:${redirector.port}/`, { allowHosts: ['127.0.0.1', 'LOCALHOST'] });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ customers: [] });
    expect(target.hits.at(-1)).toBe('/inner');
  });

  it('does not carry credential headers past a redirect that leaves the origin', async () => {
    const res = await guardedFetch(`http://127.0.0.1:${redirector.port}/`, {
      allowHosts: ['127.0.0.1', 'localhost'],
      headers: { accept: 'application/json', authorization: 'Bearer secret-1', 'x-api-key': 'secret-2' },
      credentialHeaders: ['X-Api-Key'],
    });
    expect(res.status).toBe(200);
    await res.body?.cancel();
    expect(redirector.headers.at(-1)).toMatchObject({ authorization: 'Bearer secret-1', 'x-api-key': 'secret-2' });
    const inner = target.headers.at(-1)!;
    expect(inner.accept).toBe('application/json');
    expect(inner.authorization).toBeUndefined();
    expect(inner['x-api-key']).toBeUndefined();
  });
});

describe('crm-sync http source through the guard (pglite)', () => {
  let app: TestApp;
  let crm: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    crm = await crmServer((path) => {
      if (path.startsWith('/to-loopback')) return { status: 302, location: `http://localhost:${crm.port}/customers` };
      if (path.startsWith('/to-metadata')) return { status: 301, location: 'http://169.254.169.254/latest/meta-data/' };
      return undefined;
    });
    app = await startTestApp('pglite');
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await crm?.close();
  });

  const sync = (url: string) => runTask(app, 'crm-sync', { source: { kind: 'http', url } }, { timeoutMs: 30_000 });

  it('refuses a server on 127.0.0.1 until the tenant allow-lists it, then imports from it', async () => {
    const url = `http://127.0.0.1:${crm.port}/customers`;
    const refused = await sync(url);
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatchObject({ code: 'OUTBOUND_REFUSED' });
    expect(crm.hits).toHaveLength(0);

    const bad = await app.call('PATCH', '/api/v1/tenant', { outboundAllowHosts: ['not a host!'] });
    expect(bad.status).toBe(400);
    const set = await app.call('PATCH', '/api/v1/tenant', { outboundAllowHosts: ['127.0.0.1'] });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.tenant.outboundAllowHosts).toEqual(['127.0.0.1']);

    const ok = await sync(url);
    expect(ok.status, JSON.stringify(ok.error)).toBe('succeeded');
    expect(ok.output).toMatchObject({ rows: 2, inserted: 2 });
  });

  it('refuses a redirect from the allow-listed host to loopback by name or to the metadata address', async () => {
    const before = crm.hits.length;
    const viaName = await sync(`http://127.0.0.1:${crm.port}/to-loopback`);
    expect(viaName.error).toMatchObject({ code: 'OUTBOUND_REFUSED' });
    const viaMeta = await sync(`http://127.0.0.1:${crm.port}/to-metadata`);
    expect(viaMeta.error).toMatchObject({ code: 'OUTBOUND_REFUSED', details: { range: 'linkLocal' } });
    // Only the two redirecting requests reached the server; the redirects' targets were never fetched.
    expect(crm.hits.slice(before)).toEqual(['/to-loopback', '/to-metadata']);
  });

  it('never echoes the upstream body in the error', async () => {
    const failed = await sync(`http://127.0.0.1:${crm.port}/broken`);
    expect(failed.status).toBe('failed');
    expect(failed.error.code).toBe('CRM_FETCH_FAILED');
    expect(JSON.stringify(failed.error)).not.toContain('SECRET-UPSTREAM-BODY');
  });
});

describe('the CRM saved in the settings (crm_source_fetch) through the guard (pglite)', () => {
  let app: TestApp;
  let crm: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    crm = await crmServer((path) => {
      if (path.startsWith('/not-json')) return { status: 200, body: '<html>SECRET-UPSTREAM-BODY</html>' };
      if (path.startsWith('/to-metadata')) return { status: 302, location: 'http://169.254.169.254/latest/meta-data/' };
      return undefined;
    });
    app = await startTestApp('pglite');
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await crm?.close();
  });

  /** Saves the CRM URL in the settings and runs crm-sync without a source (it reads the settings). */
  async function syncSaved(path: string) {
    const set = await app.call('PATCH', '/api/v1/settings', {
      crm: { url: `http://127.0.0.1:${crm.port}${path}` },
      crmCredential: 'crm-token-456',
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    return runTask(app, 'crm-sync', {}, { timeoutMs: 30_000 });
  }
  const customers = async () => (await app.call('GET', '/api/v1/crm/customers')).body.customers as unknown[];

  it('refuses to save a CRM URL on 127.0.0.1 that is not allow-listed, and refuses to fetch one stored before the allow-list changed', async () => {
    const save = (url: string) => app.call('PATCH', '/api/v1/settings', { crm: { url }, crmCredential: 'crm-token-456' });
    for (const url of [
      `http://127.0.0.1:${crm.port}/customers`,
      `http://localhost:${crm.port}/customers`,
      'http://169.254.169.254/latest/',
    ]) {
      const refused = await save(url);
      expect(refused.status, url).toBe(422);
      expect(refused.body.error.code).toBe('OUTBOUND_REFUSED');
    }
    expect((await app.call('GET', '/api/v1/settings')).body.settings.crm ?? null).toBeNull();
    expect(crm.hits).toHaveLength(0);

    // Saved while allow-listed, then the allow-list is emptied: the fetch refuses it, sending nothing.
    expect((await app.call('PATCH', '/api/v1/tenant', { outboundAllowHosts: ['127.0.0.1'] })).status).toBe(200);
    expect((await save(`http://127.0.0.1:${crm.port}/customers`)).status).toBe(200);
    expect((await app.call('PATCH', '/api/v1/tenant', { outboundAllowHosts: [] })).status).toBe(200);
    const stale = await runTask(app, 'crm-sync', {});
    expect(stale.status).toBe('failed');
    expect(stale.error).toMatchObject({ code: 'OUTBOUND_REFUSED', details: { host: '127.0.0.1', range: 'loopback' } });
    expect(crm.hits).toHaveLength(0);
    expect(await customers()).toEqual([]);
    // The tool called directly refuses the same way (a 422), before any request is sent.
    await expect(
      app.proc.tools.call('crm_source_fetch', { page: 1 }, { tenantId: 'default', caller: { kind: 'system' } }),
    ).rejects.toMatchObject({ code: 'OUTBOUND_REFUSED', status: 422 });
    expect(crm.hits).toHaveLength(0);
  });

  it('refuses a URL holding a user name or password where it is given (400), and where it is fetched (422), sending nothing', async () => {
    expect((await app.call('PATCH', '/api/v1/tenant', { outboundAllowHosts: ['127.0.0.1'] })).status).toBe(200);
    const withPassword = `http://bob:hunter22@127.0.0.1:${crm.port}/customers`;
    const saved = await app.call('PATCH', '/api/v1/settings', { crm: { url: withPassword } });
    expect(saved.status).toBe(400);
    expect(saved.body.error.message).toMatch(/must not hold a user name or password .*crmCredential/);
    expect(JSON.stringify((await app.call('GET', '/api/v1/settings')).body)).not.toContain('hunter22');
    const task = await app.call('POST', '/api/v1/agents/crm-sync/tasks', {
      input: { source: { kind: 'http', url: `http://bob@127.0.0.1:${crm.port}/x` } },
    });
    expect(task.status).toBe(400);
    expect(task.body.error.code).toBe('INVALID_INPUT');
    // A URL that reaches the fetch some other way (a page's next link) is refused there, not retried as unreachable.
    await expect(guardedFetch(withPassword, { allowHosts: ['127.0.0.1'] })).rejects.toMatchObject({
      code: 'OUTBOUND_REFUSED',
      status: 422,
    });
    expect(crm.hits).toHaveLength(0);
    expect((await app.call('PATCH', '/api/v1/tenant', { outboundAllowHosts: [] })).status).toBe(200);
  });

  it('imports once the tenant allow-lists the host; still never echoes an upstream body or follows a redirect to metadata', async () => {
    const set = await app.call('PATCH', '/api/v1/tenant', { outboundAllowHosts: ['127.0.0.1'] });
    expect(set.status, JSON.stringify(set.body)).toBe(200);

    const ok = await syncSaved('/customers');
    expect(ok.status, JSON.stringify(ok.error)).toBe('succeeded');
    expect(ok.output).toMatchObject({ rows: 2, inserted: 2 });
    expect(await customers()).toHaveLength(2);

    const broken = await syncSaved('/broken');
    expect(broken.status).toBe('failed');
    expect(broken.error.code).toBe('CRM_FETCH_FAILED');
    expect(JSON.stringify(broken.error)).not.toContain('SECRET-UPSTREAM-BODY');

    const notJson = await syncSaved('/not-json');
    expect(notJson.status).toBe('failed');
    expect(notJson.error.code).toBe('CRM_FORMAT');
    expect(JSON.stringify(notJson.error)).not.toContain('SECRET-UPSTREAM-BODY');

    const before = crm.hits.length;
    const viaMeta = await syncSaved('/to-metadata');
    expect(viaMeta.error).toMatchObject({ code: 'OUTBOUND_REFUSED', details: { range: 'linkLocal' } });
    expect(crm.hits.slice(before)).toEqual(['/to-metadata?page=1']);
    expect(await customers()).toHaveLength(2);
  });
});
