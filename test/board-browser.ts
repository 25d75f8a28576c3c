/**
 * What the Board's browser tests share: a real BrowserOps on the embedded database with the
 * Board built, and Debian's headless Chromium (driven by playwright-core) on a desktop-sized
 * page. Screenshots for the README go to docs/screenshots/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { AnyAgent } from '../runtime/contracts.ts';
import { startTestApp, type TestApp } from './harness.ts';

export const SHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface BoardSession {
  app: TestApp;
  browser: Browser;
  ctx: BrowserContext;
  page: Page;
  /** The Board's URL, at `path` (`/tasks`). */
  board(path?: string): string;
  /** Writes `docs/screenshots/<name>.png` of the page. */
  shot(name: string, p?: Page): Promise<Buffer>;
  /** The task as the API answers it. */
  task(id: string): Promise<any>;
  close(): Promise<void>;
}

/** Builds the Board if needed, starts BrainOps with `agents` and Chromium with a desktop page. */
export async function openBoard(agents: readonly AnyAgent[]): Promise<BoardSession> {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium fonts-dejavu-core (as .ci/run does).`);
  mkdirSync(SHOTS, { recursive: true });
  const build = spawnSync(process.execPath, [fileURLToPath(new URL('../board/ensure-built.mjs', import.meta.url))], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('building the Board failed');
  const [app, browser] = await Promise.all([
    startTestApp('pglite', { overrides: { agents } }),
    chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
  ]);
  const ctx = await browser.newContext({ viewport: DESKTOP });
  const page = await ctx.newPage();
  return {
    app,
    browser,
    ctx,
    page,
    board: (path = '') => `${app.url}/board${path}`,
    shot: (name, p = page) => p.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true }),
    task: async (id) => (await app.call('GET', `/api/v1/tasks/${id}`)).body.task,
    async close() {
      await browser.close();
      await app.stop();
    },
  };
}
