/**
 * BrainOps on a Redis Cluster: three masters on loopback ports in a temporary folder,
 * PostgreSQL for the tasks, REDIS_URL=redis+cluster://... The journey runs on it: tasks for
 * probe and estimator succeed, aurea delegates to estimator (a BullMQ parent and child in two
 * queues), and every BullMQ key of the deployment sits in the one slot of its hash tag
 * `{prefix}` — the design that lets delegation's parent/child scripts run on one node
 * (runtime/redis-cluster.ts).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../runtime/keys.ts';
import { silentLogger } from '../runtime/logger.ts';
import { startProcess, type RunningProcess } from '../workers/process.ts';
import { eventually, freshDatabase, testConfig, uid } from './harness.ts';

const run = promisify(execFile);
const cli = async (port: number, ...args: string[]) => (await run('redis-cli', ['-p', String(port), ...args])).stdout.trim();

/** Whether `port` can be listened on now (the cluster bus also needs port + 10000). */
const free = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

async function freePorts(n: number): Promise<number[]> {
  for (;;) {
    const base = 21000 + Math.floor(Math.random() * 20000);
    const ports = Array.from({ length: n }, (_, i) => base + i);
    const ok = await Promise.all(ports.flatMap((p) => [free(p), free(p + 10000)]));
    if (ok.every(Boolean)) return ports;
  }
}

describe('BrainOps on a three-master Redis Cluster (PostgreSQL + redis+cluster://)', () => {
  let dir: string;
  let ports: number[] = [];
  let db: Awaited<ReturnType<typeof freshDatabase>> | undefined;
  let proc: RunningProcess | undefined;
  let url: string;
  let key: string;
  const prefix = `t${uid()}`;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const finished = (id: string) =>
    eventually(async () => {
      const r = await call('GET', `/api/v1/tasks/${id}`);
      return ['succeeded', 'failed', 'cancelled'].includes(r.body.task?.status) ? r.body.task : undefined;
    }, 30_000);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'brainops-cluster-'));
    ports = await freePorts(3);
    for (const p of ports) {
      await run('redis-server', [
        '--cluster-enabled',
        'yes',
        '--port',
        String(p),
        '--bind',
        '127.0.0.1',
        '--cluster-config-file',
        join(dir, `nodes-${p}.conf`),
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--logfile',
        join(dir, `redis-${p}.log`),
        '--daemonize',
        'yes',
      ]);
    }
    await eventually(
      async () => (await cli(ports[0]!, 'ping').catch(() => '')) === 'PONG' && (await cli(ports[2]!, 'ping').catch(() => '')) === 'PONG',
      5000,
    );
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    await eventually(
      async () => (await Promise.all(ports.map((p) => cli(p, 'cluster', 'info')))).every((i) => i.includes('cluster_state:ok')),
      10_000,
    );

    db = await freshDatabase();
    const config = testConfig({
      DATABASE_URL: db.url,
      // Two seeds: the client finds the third master by itself.
      REDIS_URL: `redis+cluster://127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}`,
      BRAINOPS_QUEUE_PREFIX: prefix,
      BRAINOPS_DATA_DIR: dir,
    });
    proc = await startProcess(config, { api: true, worker: true, overrides: { logger: silentLogger() } });
    url = proc.url!.replace('localhost', '127.0.0.1');
    key = (await createKey(proc.runtime.db, 'default', ['admin'], 'test')).key;
  }, 45_000);

  afterAll(async () => {
    await proc?.stop(2000).catch(() => undefined);
    await db?.drop().catch(() => undefined);
    await Promise.allSettled(ports.map((p) => cli(p, 'shutdown', 'nosave')));
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 20_000);

  it('runs probe and estimator tasks to success, and aurea delegates to estimator', async () => {
    expect((await call('GET', '/health')).body.engines.queue).toBe('redis');
    const probe = await call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 3, stepMs: 0 } });
    const estimate = await call('POST', '/api/v1/agents/estimator/tasks', {
      input: { roofAreaSqFt: 2000, pitch: '6/12', material: 'architectural_shingle' },
    });
    const aurea = await call('POST', '/api/v1/agents/aurea/tasks', { input: { message: 'estimate 2400 sq ft 6/12 architectural' } });
    for (const r of [probe, estimate, aurea]) expect(r.status, JSON.stringify(r.body)).toBe(202);

    for (const r of [probe, estimate]) {
      const task = await finished(r.body.task.id);
      expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    }
    const parent = await finished(aurea.body.task.id);
    expect(parent.status, JSON.stringify(parent.error)).toBe('succeeded');
    const kids = await proc!.runtime.db.system((tx) =>
      tx.query<{ id: string; agent: string; status: string }>(`SELECT id, agent, status FROM tasks WHERE parent_id = $1`, [parent.id]),
    );
    expect(kids.rows.map((k) => [k.agent, k.status])).toEqual([['estimator', 'succeeded']]);
    expect(parent.output.results.map((r: any) => [r.taskId, r.status])).toEqual([[kids.rows[0]!.id, 'succeeded']]);
  });

  it("keeps every queue key of the deployment in its hash tag's one slot, on one master", async () => {
    const tag = `{${prefix}}`;
    const slot = Number(await cli(ports[0]!, 'cluster', 'keyslot', tag));
    const perNode = await Promise.all(ports.map(async (p) => (await cli(p, '--scan')).split('\n').filter(Boolean)));
    const keys = perNode.flat();
    // Keys of all three agents' queues and of the delegation's child job are there.
    for (const agent of ['probe', 'estimator', 'aurea']) expect(keys).toContain(`${tag}:${agent}:meta`);
    expect(
      keys.every((k) => k.startsWith(`${tag}:`)),
      keys.filter((k) => !k.startsWith(`${tag}:`)).join(', '),
    ).toBe(true);
    // Every one of them in the tag's slot (asked of Redis in one pipe), all on one master.
    const asked = spawnSync('redis-cli', ['-p', String(ports[0])], { input: keys.map((k) => `CLUSTER KEYSLOT ${k}\n`).join('') });
    expect(new Set(asked.stdout.toString().trim().split('\n').map(Number))).toEqual(new Set([slot]));
    expect(ports.filter((_, i) => perNode[i]!.length > 0)).toHaveLength(1);
  });
});
