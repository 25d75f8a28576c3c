/**
 * `npm run bench [name ...]`: runs every `bench/*.bench.ts` (or only those named, e.g.
 * `npm run bench runtime`), one after another, each in this process. A bench file's default
 * export is `async (log: (line: string) => void) => void`; it prints its own table.
 * Exit code 1 if any bench threw or none matched.
 * @module
 */
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

type Bench = (log: (line: string) => void) => Promise<void>;

const here = dirname(fileURLToPath(import.meta.url));
const SUFFIX = '.bench.ts';
const out = (line: string) => process.stdout.write(`${line}\n`);

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(args: string[]): Promise<number> {
  const all = (await readdir(here)).filter((f) => f.endsWith(SUFFIX)).sort();
  const wanted = args.map((a) =>
    a
      .replace(/^bench\//, '')
      .replace(/\.bench\.ts$/, '')
      .replace(/\.ts$/, ''),
  );
  const unknown = wanted.filter((w) => !all.includes(`${w}${SUFFIX}`));
  if (unknown.length) {
    out(
      `bench: no ${unknown.map((u) => `bench/${u}${SUFFIX}`).join(', ')}; there are: ${all.map((f) => f.slice(0, -SUFFIX.length)).join(', ') || 'none'}`,
    );
    return 1;
  }
  const files = wanted.length ? all.filter((f) => wanted.includes(f.slice(0, -SUFFIX.length))) : all;
  if (files.length === 0) {
    out('bench: no bench/*.bench.ts files found');
    return 1;
  }
  out(`bench: running ${files.join(', ')}`);
  const started = performance.now();
  const results: { file: string; ok: boolean; ms: number; error?: string }[] = [];
  for (const file of files) {
    const name = file.slice(0, -SUFFIX.length);
    const t0 = performance.now();
    const log = (line: string) => out(`[${name} +${seconds(performance.now() - t0)}] ${line}`);
    out(`\n=== ${name} ===`);
    try {
      const mod = (await import(pathToFileURL(join(here, file)).href)) as { default?: unknown };
      if (typeof mod.default !== 'function') throw new Error(`${file} has no default export function (log) => Promise<void>`);
      await (mod.default as Bench)(log);
      results.push({ file, ok: true, ms: performance.now() - t0 });
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log(`FAILED: ${message}`);
      results.push({ file, ok: false, ms: performance.now() - t0, error: err instanceof Error ? err.message : String(err) });
    }
  }
  out(`\n=== summary (${seconds(performance.now() - started)}) ===`);
  for (const r of results) out(`${r.ok ? 'ok    ' : 'FAILED'} ${r.file} (${seconds(r.ms)})${r.error ? `: ${r.error}` : ''}`);
  return results.every((r) => r.ok) ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
// Bench files close what they open; a stray handle (a driver's timer) must not hang `npm run bench`.
setTimeout(() => process.exit(), 2000).unref();
