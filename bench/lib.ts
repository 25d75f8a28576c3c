/**
 * Shared pieces for benchmarks: bounded options, a progress ticker, an HTTP load generator
 * that runs on its own thread (so it does not steal the server's event loop), and the
 * ratio table every bench prints.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';

export type Log = (line: string) => void;

/** A positive whole number from the environment (benchmarks are scripts: they may read it). */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number (got ${JSON.stringify(raw)}).`);
  return n;
}

export function envList(name: string, fallback: string[]): string[] {
  const raw = process.env[name];
  return raw
    ? raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : fallback;
}

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';

/** Logs `label: done/total (rate/s)` every `everyMs` until stopped. */
export function ticker(log: Log, label: string, done: () => number, total: number, everyMs = 2000): { stop(): void } {
  const t0 = performance.now();
  const timer = setInterval(() => {
    const s = (performance.now() - t0) / 1000;
    const d = done();
    log(`  ${label}: ${d}/${total} (${fmt(d / s)}/s)`);
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Runs `fn` over `count` indexes with at most `parallel` in flight; stops early at `deadline`. */
export async function pooled(count: number, parallel: number, fn: (i: number) => Promise<void>, deadline = Infinity): Promise<number> {
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < count && Date.now() < deadline) {
      const i = next++;
      await fn(i);
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, lane));
  return done;
}

export interface LoadResult {
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  firstError?: string;
}

export interface LoadOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  count: number;
  clients: number;
  timeoutMs: number;
  onProgress?: (done: number) => void;
}

// The load generator's thread: CommonJS, so it needs no TypeScript loader.
const LOADGEN = `
const { parentPort, workerData: w } = require('node:worker_threads');
const { Pool } = require(w.undici);
(async () => {
  const u = new URL(w.url);
  const pool = new Pool(u.origin, { connections: w.clients, pipelining: 1 });
  const deadline = Date.now() + w.timeoutMs;
  const lat = [];
  const statuses = {};
  let next = 0, ok = 0, failed = 0, firstError;
  const t0 = performance.now();
  async function client() {
    while (next < w.count && Date.now() < deadline) {
      next++;
      const s = performance.now();
      try {
        const r = await pool.request({ method: w.method, path: u.pathname + u.search, headers: w.headers, body: w.body });
        const text = await r.body.text();
        statuses[r.statusCode] = (statuses[r.statusCode] || 0) + 1;
        if (r.statusCode < 300) ok++; else { failed++; firstError ??= r.statusCode + ' ' + text.slice(0, 300); }
      } catch (e) {
        failed++;
        statuses.error = (statuses.error || 0) + 1;
        firstError ??= String(e && e.message || e);
      }
      lat.push(performance.now() - s);
      if ((ok + failed) % 100 === 0) parentPort.postMessage({ progress: ok + failed });
    }
  }
  await Promise.all(Array.from({ length: w.clients }, client));
  const elapsedMs = performance.now() - t0;
  await pool.close();
  lat.sort((a, b) => a - b);
  const q = (p) => lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : NaN;
  parentPort.postMessage({ result: { ok, failed, statuses, elapsedMs, perSecond: ok / (elapsedMs / 1000), p50Ms: q(0.5), p99Ms: q(0.99), firstError } });
})().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

/** `count` requests from `clients` keep-alive connections, on a separate thread. */
export function loadTest(o: LoadOptions): Promise<LoadResult> {
  const undici = createRequire(import.meta.url).resolve('undici');
  const workerData = {
    undici,
    url: o.url,
    method: o.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...o.headers },
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
    count: o.count,
    clients: o.clients,
    timeoutMs: o.timeoutMs,
  };
  return new Promise((resolve, reject) => {
    const w = new Worker(LOADGEN, { eval: true, workerData });
    w.on('message', (m: { progress?: number; result?: LoadResult; error?: string }) => {
      if (m.progress !== undefined) o.onProgress?.(m.progress);
      if (m.result) resolve(m.result);
      if (m.error) reject(new Error(`load generator: ${m.error}`));
    });
    w.on('error', reject);
    w.on('exit', (code) => (code ? reject(new Error(`load generator exited with ${code}`)) : undefined));
  });
}

export interface Row {
  engine: string;
  metric: string;
  runtime: number;
  baseline: number;
  unit: string;
  note?: string;
}

/** engine | metric | runtime | baseline | ratio (runtime ÷ baseline: 1.00 = no overhead). */
export function table(rows: Row[]): string[] {
  const cells = [
    ['engine', 'metric', 'runtime', 'baseline', 'ratio', 'note'],
    ...rows.map((r) => [
      r.engine,
      r.metric,
      `${fmt(r.runtime, r.runtime < 100 ? 1 : 0)} ${r.unit}`,
      `${fmt(r.baseline, r.baseline < 100 ? 1 : 0)} ${r.unit}`,
      r.baseline > 0 ? `${(r.runtime / r.baseline).toFixed(3)} (1/${(r.baseline / r.runtime).toFixed(1)})` : 'n/a',
      r.note ?? '',
    ]),
  ];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(cells[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)];
}

/**
 * CPU time used so far (ms) by this process and by every PostgreSQL and Redis server process
 * on the machine (from /proc: user + system; 10 ms ticks). Differences of two snapshots say
 * where a measured phase's CPU went; on a machine running other work, the servers' share
 * includes theirs.
 */
export function cpuNow(): { bench: number; postgres: number; redis: number } {
  const own = process.cpuUsage();
  const out = { bench: (own.user + own.system) / 1000, postgres: 0, redis: 0 };
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const kind = name.startsWith('postgres') ? 'postgres' : name.startsWith('redis-server') ? 'redis' : undefined;
      if (!kind) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[kind] += ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** `cpuNow()` differences per unit, as text: "cpu/task: bench 0.52 ms, postgres 0.31 ms, redis 0.05 ms". */
export function cpuPer(from: ReturnType<typeof cpuNow>, units: number, per: string): string {
  const to = cpuNow();
  const f = (k: keyof typeof to) => `${k} ${((to[k] - from[k]) / units).toFixed(2)} ms`;
  return `cpu/${per}: ${f('bench')}, ${f('postgres')}, ${f('redis')}`;
}
