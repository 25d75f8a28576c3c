#!/usr/bin/env node
// Builds the AI Board (board/dist) only when it is missing or older than its sources, so
// `npm start` and `npm test` stay fast. `--force` always builds. Used by prestart/pretest.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const board = dirname(fileURLToPath(import.meta.url));
const built = join(board, 'dist', 'index.html');

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((n) => newest(join(path, n))));
}

const sources = ['src', 'index.html', 'vite.config.ts', 'tsconfig.json'].map((p) => join(board, p)).filter(existsSync);
const fresh = existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newest));
if (fresh && !process.argv.includes('--force')) process.exit(0);

let viteBin;
try {
  viteBin = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
} catch {
  process.stderr.write('AI Board not built: vite is not installed (npm install installs it). /board will say so.\n');
  process.exit(0);
}
process.stderr.write('building the AI Board (board/dist)...\n');
const r = spawnSync(process.execPath, [viteBin, 'build', board], { stdio: 'inherit' });
process.exit(r.status ?? 1);
