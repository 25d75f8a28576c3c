/**
 * The AI Board: the static bundle in board/dist, served at /board with a single-page-app
 * fallback (every /board/* page path answers index.html; the Board routes in the browser).
 * The page is public (API.md); its API calls carry the operator's key.
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

/** Where `npm run build:board` writes the bundle. */
export const defaultBoardDir = (): string => fileURLToPath(new URL('../../board/dist', import.meta.url));

const MISSING = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>AI Board not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>The AI Board is not built</h1>
<p>This server has no Board bundle (<code>board/dist</code>). Build it once, then reload this page:</p>
<pre style="background:#f3f4f6; padding: .75rem">npm run build:board</pre>
<p>The API itself is running: see <a href="/docs">/docs</a> and <a href="/health">/health</a>.</p>
</body></html>`;

export function boardRoutes(dir: string = defaultBoardDir()): Router {
  const r = Router();
  const index = join(dir, 'index.html');
  const pageOnly = (method: string): boolean => method === 'GET' || method === 'HEAD';

  r.use(
    '/board',
    (req, res, next) => {
      if (!pageOnly(req.method)) return next();
      // Checked per request, so a bundle built after start is picked up without a restart.
      if (!existsSync(index)) return void res.status(503).type('html').set('Cache-Control', 'no-store').send(MISSING);
      next();
    },
    express.static(dir, {
      index: 'index.html',
      setHeaders(res, path) {
        // Vite names assets by content hash: cache them for good; the page itself never.
        res.set('Cache-Control', path.includes(`${join(dir, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    }),
    (req, res, next) => {
      // A missing asset stays a 404; any other page path is a Board route.
      if (!pageOnly(req.method) || req.path.startsWith('/assets/') || /\.[a-z0-9]+$/i.test(req.path)) return next();
      res.set('Cache-Control', 'no-cache').sendFile(index);
    },
  );
  return r;
}
