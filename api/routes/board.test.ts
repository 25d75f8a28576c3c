import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boardRoutes } from './board.ts';

describe('the /board route', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { redirect: 'manual' });
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      cache: res.headers.get('cache-control'),
      text: await res.text(),
    };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'board-'));
    const app = express();
    app.use(boardRoutes(join(dir, 'dist')));
    app.use((_req, res) => void res.status(404).json({ error: { code: 'ROUTE_NOT_FOUND', message: 'no route' } }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('says how to build the Board when board/dist is missing', async () => {
    const r = await get('/board/');
    expect(r.status).toBe(503);
    expect(r.type).toContain('text/html');
    expect(r.text).toContain('npm run build:board');
  });

  it('serves the bundle, hashed assets for good, and every page path as the app', async () => {
    await mkdir(join(dir, 'dist', 'assets'), { recursive: true });
    await writeFile(join(dir, 'dist', 'index.html'), '<!doctype html><div id="root"></div>');
    await writeFile(join(dir, 'dist', 'assets', 'index-abc.js'), 'console.log(1)');

    const page = await get('/board/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="root"');
    expect(page.cache).toBe('no-cache');
    const deep = await get('/board/tasks/0b8f1c2e-0000-4000-8000-000000000000');
    expect(deep.status).toBe(200);
    expect(deep.text).toContain('id="root"');
    const asset = await get('/board/assets/index-abc.js');
    expect(asset.status).toBe(200);
    expect(asset.cache).toContain('immutable');
    expect((await get('/board/assets/missing.js')).status).toBe(404);
    expect((await get('/board/favicon.ico')).status).toBe(404);
  });
});
