/**
 * The API reference: /openapi.json passes a real OpenAPI 3.1 validator (the official JSON
 * Schema of the specification, strict), every route of the Express app appears in it, and
 * /docs renders it with Swagger UI served from this server alone (Chromium, no outside request).
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Express } from 'express';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.ts';
import { startTestApp, type TestApp } from './harness.ts';

let app: TestApp;
let doc: { paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>> };

beforeAll(async () => {
  app = await startTestApp('pglite', { worker: false });
  const r = await app.call('GET', '/openapi.json', undefined, { key: null });
  expect(r.status).toBe(200);
  doc = r.body;
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  name?: string;
}

/** Every `METHOD /path` the Express app routes, read from its router (nested routers included). */
function appRoutes(express: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const path of paths)
          for (const [method, on] of Object.entries(layer.route.methods))
            if (on && method !== '_all') out.push(`${method.toUpperCase()} ${path}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((express as unknown as { router: { stack: Layer[] } }).router.stack);
  return [...new Set(out)];
}

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const v = new Validator({ strict: false, allErrors: true });
    const r = await v.validate(structuredClone(doc) as Record<string, unknown>);
    expect(r.errors ?? [], JSON.stringify(r.errors, null, 2)).toEqual([]);
    expect(r.valid).toBe(true);
    expect(v.version).toBe('3.1');
  });

  it('has every route of the app', () => {
    const express = createApp(app.proc.runtime, app.proc.appExtensions);
    const routes = appRoutes(express);
    expect(routes.length).toBeGreaterThan(50);
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    const missing = routes
      .map((r) => r.replace(/:([A-Za-z_]+)/g, '{$1}'))
      // Static files of /docs are not operations.
      .filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
    expect(documented).toContain('GET /api/v1/agents/{name}');
  });

  it('gives every response a description', () => {
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops))
        for (const [status, res] of Object.entries(op.responses)) expect(res.description, `${method} ${path} ${status}`).toBeTruthy();
  });
});

describe('/docs', () => {
  it('renders the document with Swagger UI from this server only', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      const elsewhere: string[] = [];
      page.on('request', (req) => {
        if (!req.url().startsWith(app.url) && !req.url().startsWith('data:')) elsewhere.push(req.url());
      });
      const res = await page.goto(`${app.url}/docs`);
      expect(res?.status()).toBe(200);
      await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
      expect(await page.locator('.opblock').count()).toBeGreaterThan(50);
      expect(await page.locator('.opblock-summary-path', { hasText: '/api/v1/agents/{name}' }).count()).toBeGreaterThan(0);
      expect(elsewhere).toEqual([]);
      const icon = await app.call('GET', '/favicon.ico', undefined, { key: null });
      expect(icon.status).toBe(200);
      expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    } finally {
      await browser.close();
    }
  }, 60_000);
});
