/**
 * Servers the fault tests own and may stop: a PostgreSQL cluster made with `initdb` in a
 * temporary folder (run as the `postgres` user, since the server refuses root) and a
 * `redis-server` without persistence, each on a free loopback port. Never the shared ones.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PostgreSQL's binaries: PG_BIN, else the newest under /usr/lib/postgresql. */
export function pgBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const r = spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'], { encoding: 'utf8' });
  const dir = r.stdout.trim();
  if (!dir) throw new Error('No PostgreSQL binaries under /usr/lib/postgresql; set PG_BIN.');
  return dir;
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Runs a command as the `postgres` user when we are root (the server refuses root). */
function asPostgres(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const root = process.getuid?.() === 0;
  return root ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args);
}

export interface TempPostgres {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** `pg_ctl stop -m <mode>` and wait until the server is gone. */
  stop(mode?: 'fast' | 'immediate' | 'smart'): Promise<void>;
  /** `pg_ctl start` and wait until it accepts connections. */
  start(): Promise<void>;
  /** Stops the server if it runs and removes its folder; safe to call more than once. */
  destroy(): Promise<void>;
}

/**
 * initdb + start a throwaway cluster (fsync off) on a free loopback port: trust authentication,
 * or with `password`, SCRAM-SHA-256 over TCP (the superuser `postgres` gets that password).
 */
export async function startTempPostgres(o: { password?: string } = {}): Promise<TempPostgres> {
  const bin = pgBin();
  const dir = await mkdtemp(join(tmpdir(), 'brainops-fault-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gids = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    await chown(dir, Number(ids.stdout.trim()), Number(gids.stdout.trim()));
  }
  const port = await freePort();
  const auth = ['-A', 'trust'];
  if (o.password) {
    const pwfile = join(dir, 'pwfile');
    await writeFile(pwfile, o.password, { mode: 0o644 });
    auth.splice(0, 2, '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`);
  }
  await asPostgres(join(bin, 'initdb'), ['-D', data, ...auth, '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300`;
  const ctl = (args: string[]) => asPostgres(join(bin, 'pg_ctl'), ['-D', data, ...args]);
  let running = false;
  const emergencyStop = () => {
    if (running) spawnSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, 'stop', '-m', 'immediate']);
  };
  process.once('exit', emergencyStop);
  const pg: TempPostgres = {
    url: `postgres://postgres${o.password ? `:${o.password}` : ''}@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async stop(mode = 'fast') {
      await ctl(['stop', '-w', '-m', mode, '-t', '30']);
      running = false;
    },
    async start() {
      await ctl(['start', '-w', '-t', '30', '-o', options, '-l', join(dir, 'log')]);
      running = true;
    },
    async destroy() {
      if (running) await pg.stop('immediate').catch(() => undefined);
      process.removeListener('exit', emergencyStop);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await pg.start();
  return pg;
}

export interface TempRedis {
  readonly url: string;
  readonly port: number;
  /** Shuts the server down (SIGTERM; no persistence, so its data is gone) and waits. */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits until it answers. */
  start(): Promise<void>;
  /** Stops it if it runs; safe to call more than once. */
  destroy(): Promise<void>;
}

/** A `redis-server --save ''` of our own on a free loopback port. */
export async function startTempRedis(): Promise<TempRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const emergencyStop = () => child?.kill('SIGKILL');
  process.once('exit', emergencyStop);
  const redis: TempRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      child = c;
      const deadline = Date.now() + 10_000;
      for (;;) {
        const r = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
        if (r.stdout.trim() === 'PONG') return;
        if (c.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGTERM');
      await gone;
    },
    async destroy() {
      const c = child;
      if (c && c.exitCode === null && c.signalCode === null) {
        const gone = new Promise<void>((r) => c.once('exit', () => r()));
        c.kill('SIGKILL');
        await gone;
      }
      process.removeListener('exit', emergencyStop);
    },
  };
  await redis.start();
  return redis;
}
