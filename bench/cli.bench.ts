/**
 * `npm run bench cli`: how long the `brainops` command takes to start and finish, as a person
 * runs it — a fresh node process each time — for `--help`, and for each admin command while
 * `brainops start` runs on the embedded database (so it goes through the server's API).
 * Median and max of RUNS runs each; the issue's target is under 1.5 s per command.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 7);
const TARGET_MS = 1500;

const COMMANDS: string[][] = [['--help'], ['migrate'], ['keys', 'list'], ['tenants', 'list'], ['schedules', 'list'], ['memory', 'status']];

export default async function cliBench(log: (line: string) => void): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'brainops-bench-cli-'));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, BRAINOPS_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  const server = spawn(process.execPath, ['bin/brainops.mjs', 'start'], { env, stdio: 'ignore' });
  try {
    const deadline = Date.now() + 120_000;
    while (!(await readFile(join(dir, 'server.json'), 'utf8').catch(() => ''))) {
      if (Date.now() > deadline) throw new Error('brainops start did not come up in 120 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    log(
      `brainops start is up on ${dir}; ${RUNS} runs per command, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    log(`| command                | median   | max      | target < ${TARGET_MS / 1000} s |`);
    log(`|------------------------|----------|----------|--------------|`);
    for (const args of COMMANDS) {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, ['bin/brainops.mjs', ...args], { env, encoding: 'utf8' });
        times.push(performance.now() - t0);
        if (r.status !== 0) throw new Error(`brainops ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)]!;
      const max = times[times.length - 1]!;
      log(
        `| ${args.join(' ').padEnd(22)} | ${`${Math.round(median)} ms`.padEnd(8)} | ${`${Math.round(max)} ms`.padEnd(8)} | ${(median < TARGET_MS ? 'met' : 'NOT met').padEnd(12)} |`,
      );
    }
    log(
      `load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} at the end`,
    );
  } finally {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
}
