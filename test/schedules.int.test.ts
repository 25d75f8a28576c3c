/**
 * Schedules on BullMQ (one delayed job per tick): a schedule fires on time, keeps firing after every
 * process was stopped and a new one started on the same engines, two schedulers running at
 * once make exactly one task per tick, a cron schedule gets its local time on daylight-saving
 * days, and the API validates, lists and disables.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tickJobId } from '../runtime/guardrails/schedules.ts';
import { createKey } from '../runtime/keys.ts';
import { silentLogger } from '../runtime/logger.ts';
import type { Task } from '../runtime/tasks.ts';
import { startProcess, type RunningProcess } from '../workers/process.ts';
import { startScheduler } from '../workers/scheduler.ts';
import { engineEnv, eventually, testConfig, type Engine } from './harness.ts';

type Fired = Task & { createdBy: { type: string; scheduleId: string; firedAt: string } };

/** A process (API + worker + scheduler) on the given engine variables, with an admin key. */
async function boot(
  env: Record<string, string>,
): Promise<{ proc: RunningProcess; call: (m: string, p: string, b?: unknown) => Promise<{ status: number; body: any }> }> {
  const config = testConfig(env, { SCHEDULER_RECONCILE_MS: '1000' });
  const proc = await startProcess(config, { api: true, worker: true, overrides: { logger: silentLogger() } });
  const { key } = await createKey(proc.runtime.db, 'default', ['admin'], 'test');
  const url = proc.url!.replace('localhost', '127.0.0.1');
  return {
    proc,
    async call(method, path, body) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

async function scheduledTasks(proc: RunningProcess, scheduleId: string): Promise<Fired[]> {
  const r = await proc.runtime.db.tenant('default', (tx) =>
    tx.query<{ id: string }>(`SELECT id FROM tasks WHERE created_by->>'scheduleId' = $1 ORDER BY created_at`, [scheduleId]),
  );
  const tasks: Fired[] = [];
  for (const x of r.rows) tasks.push((await proc.runtime.tasks.get('default', x.id)) as Fired);
  return tasks;
}

const PROBE = { steps: 1, stepMs: 0 };

describe.each(['pglite', 'pg-redis'] as Engine[])('schedules on %s', (engine) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('fires on time and keeps firing after every process restarts', async () => {
    const e = await engineEnv(engine);
    cleanups.push(e.cleanup);
    const a = await boot(e.env);
    const created = await a.call('POST', '/api/v1/schedules', { agent: 'probe', input: PROBE, everyMs: 1000, name: 'heartbeat' });
    expect(created.status).toBe(201);
    const id: string = created.body.schedule.id;
    expect(created.body.schedule.nextRunAt).toBeTruthy();

    const first = await eventually(async () => {
      const t = await scheduledTasks(a.proc, id);
      return t.filter((x) => x.status === 'succeeded').length >= 2 ? t : undefined;
    }, 30_000);
    const firstTick = Date.parse(first[0]!.createdBy.firedAt);
    for (const t of first) {
      // On time: ticks are whole intervals apart, and each task is created after its tick and
      // before a few more have passed (a bound for a loaded CI machine, not a speed measurement).
      const fired = Date.parse(t.createdBy.firedAt);
      expect((fired - firstTick) % 1000).toBe(0);
      expect(Date.parse(t.createdAt) - fired).toBeGreaterThanOrEqual(0);
      expect(Date.parse(t.createdAt) - fired).toBeLessThan(5000);
      expect(t.idempotencyKey).toBe(`schedule:${id}:${fired}`);
    }
    await a.proc.stop(2000);
    const stoppedAt = Date.now();

    // A new process on the same engines: the schedule is still there and still fires.
    const b = await boot(e.env);
    cleanups.push(() => b.proc.stop(2000));
    await eventually(async () => {
      const t = await scheduledTasks(b.proc, id);
      return t.some((x) => Date.parse(x.createdBy.firedAt) > stoppedAt && x.status === 'succeeded');
    }, 30_000);
    const detail = await b.call('GET', `/api/v1/schedules/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.schedule).toMatchObject({ id, agent: 'probe', everyMs: 1000, enabled: true });
    expect(Date.parse(detail.body.schedule.nextRunAt)).toBeGreaterThan(stoppedAt);
    expect(detail.body.runs.length).toBeGreaterThanOrEqual(3);

    // Disabled: no more ticks.
    const off = await b.call('PATCH', `/api/v1/schedules/${id}`, { enabled: false });
    expect(off.body.schedule.enabled).toBe(false);
    expect(off.body.schedule.nextRunAt).toBeUndefined();
    expect(await b.proc.runtime.queues.queue('_schedules').getJobScheduler(id)).toBeUndefined();
  });

  it('makes exactly one task per tick with two schedulers running', async () => {
    const e = await engineEnv(engine);
    cleanups.push(e.cleanup);
    const a = await boot(e.env);
    cleanups.push(() => a.proc.stop(2000));
    const created = await a.call('POST', '/api/v1/schedules', { agent: 'probe', input: PROBE, everyMs: 1000 });
    const id: string = created.body.schedule.id;
    // The second scheduler: another process where the engines allow one (the embedded
    // database belongs to one process), else a second scheduler role in this process.
    let stopSecond: () => Promise<void>;
    if (engine === 'pglite') {
      const second = await startScheduler(a.proc.runtime);
      stopSecond = () => second.close();
    } else {
      const b = await boot(e.env);
      stopSecond = () => b.proc.stop(2000);
    }
    cleanups.push(() => stopSecond());
    const tasks = await eventually(async () => {
      const t = await scheduledTasks(a.proc, id);
      return t.length >= 5 ? t : undefined;
    }, 30_000);
    const ticks = tasks.map((t) => t.createdBy.firedAt);
    expect(new Set(ticks).size).toBe(ticks.length);
    const jobs = await a.proc.runtime.queues.queue('_schedules').getJobs(['completed']);
    const jobTicks = jobs.map((j) => j.id);
    expect(new Set(jobTicks).size).toBe(jobTicks.length);
  });

  it('gives a cron schedule its local time on a daylight-saving day, and queues that tick', async () => {
    const e = await engineEnv(engine);
    cleanups.push(e.cleanup);
    const a = await boot(e.env);
    cleanups.push(() => a.proc.stop(2000));
    // The first `hh:mm` UTC on the n-th Sunday of a month that is still ahead.
    const nthSunday = (month: number, n: number, hh: number, mm: number): number => {
      for (let y = new Date().getUTCFullYear(); ; y++) {
        const day = 1 + ((7 - new Date(Date.UTC(y, month, 1)).getUTCDay()) % 7) + 7 * (n - 1);
        if (Date.UTC(y, month, day, hh, mm) > Date.now()) return Date.UTC(y, month, day, hh, mm);
      }
    };
    const cases = [
      // New York springs forward at 02:00 on March's second Sunday: 02:30 does not exist, the run is at 03:00 EDT.
      { cron: '30 2 * 3 0#2', want: nthSunday(2, 2, 7, 0) },
      // It falls back at 02:00 on November's first Sunday: 01:30 exists twice, the run is at the first, 01:30 EDT.
      { cron: '30 1 * 11 0#1', want: nthSunday(10, 1, 5, 30) },
    ];
    for (const { cron, want } of cases) {
      const r = await a.call('POST', '/api/v1/schedules', { agent: 'probe', input: PROBE, cron, timezone: 'America/New_York' });
      expect(r.status).toBe(201);
      expect(r.body.schedule.nextRunAt).toBe(new Date(want).toISOString());
      const job = await a.proc.runtime.queues.queue('_schedules').getJob(tickJobId(r.body.schedule.id, want));
      expect(job?.data).toMatchObject({ scheduleId: r.body.schedule.id, tick: want });
      expect(await job!.getState()).toBe('delayed');
      expect(Math.abs(job!.timestamp + job!.delay - want)).toBeLessThan(1000);
    }
  });

  it('rejects a bad schedule with a clear 400 and changes nothing', async () => {
    const e = await engineEnv(engine);
    cleanups.push(e.cleanup);
    const a = await boot(e.env);
    cleanups.push(() => a.proc.stop(2000));
    const cases: [unknown, string][] = [
      [{ agent: 'probe', input: PROBE, cron: 'every day at noon' }, 'INVALID_CRON'],
      [{ agent: 'probe', input: PROBE, cron: '0 0 31 2 *' }, 'CRON_NEVER_FIRES'],
      [{ agent: 'probe', input: PROBE, cron: '@reboot' }, 'INVALID_CRON'],
      [{ agent: 'probe', input: PROBE, cron: '0 0 31 4,6 *' }, 'CRON_NEVER_FIRES'],
      [{ agent: 'probe', input: PROBE, cron: '0 2 * * *', timezone: 'Mars/Olympus' }, 'INVALID_TIMEZONE'],
      // Six fields would be read seconds first; EST is a fixed offset with no summer time.
      [{ agent: 'probe', input: PROBE, cron: '0 2 * * * *' }, 'INVALID_CRON'],
      [{ agent: 'probe', input: PROBE, cron: '0 0 2 * * * 2027' }, 'INVALID_CRON'],
      [{ agent: 'probe', input: PROBE, cron: '0 2 * * *', timezone: 'EST' }, 'INVALID_TIMEZONE'],
      [{ agent: 'probe', input: PROBE }, 'INVALID_REQUEST'],
      [{ agent: 'probe', input: PROBE, cron: '0 2 * * *', everyMs: 5000 }, 'INVALID_REQUEST'],
      [{ agent: 'probe', input: { steps: -1 }, everyMs: 5000 }, 'INVALID_INPUT'],
      // A misspelt input field would be dropped at every run.
      [{ agent: 'probe', input: { ...PROBE, stpes: 3 }, everyMs: 5000 }, 'INVALID_INPUT'],
    ];
    for (const [body, code] of cases) {
      const r = await a.call('POST', '/api/v1/schedules', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe(code);
    }
    // A field out of its range is named with the range a person writes (not croner's count from 0).
    for (const [cron, says] of [
      ['0 0 0 * *', 'the day of the month must be 1–31'],
      ['0 0 * 13 *', 'the month must be 1–12'],
      ['0 24 * * *', 'the hour must be 0–23'],
      ['@every 5m', 'for an interval use everyMs'],
    ] as const) {
      const r = await a.call('POST', '/api/v1/schedules', { agent: 'probe', input: PROBE, cron });
      expect([r.body.error?.code, r.body.error?.message], cron).toEqual(['INVALID_CRON', expect.stringContaining(says)]);
    }
    // A misspelt field of the schedule itself, on create and on change: named, with what is read.
    const misspelt = await a.call('POST', '/api/v1/schedules', { agent: 'probe', input: PROBE, everyMS: 3600000 });
    expect(misspelt.status).toBe(400);
    expect(misspelt.body.error).toMatchObject({ code: 'INVALID_REQUEST', details: { at: 'body.everyMS', field: 'everyMS' } });
    expect(misspelt.body.error.details.accepted).toContain('everyMs');
    const patched = await a.call('PATCH', '/api/v1/schedules/3f1c1f7e-59a4-4b8e-9a43-c1a0b2d5e6f7', { enabeld: false });
    expect(patched.status).toBe(400);
    expect(patched.body.error.details).toMatchObject({ at: 'body.enabeld', field: 'enabeld' });
    expect((await a.call('POST', '/api/v1/schedules', { agent: 'nope', everyMs: 5000 })).status).toBe(404);
    expect((await a.call('GET', '/api/v1/schedules')).body.schedules).toEqual([]);
    const cron = await a.call('POST', '/api/v1/schedules', {
      agent: 'probe',
      input: PROBE,
      cron: '0 2 * * *',
      timezone: 'America/Chicago',
    });
    expect(cron.status).toBe(201);
    // 02:00 in Chicago is 07:00 or 08:00 UTC, depending on daylight saving time.
    expect([7, 8]).toContain(new Date(cron.body.schedule.nextRunAt).getUTCHours());
    const audit = await a.call('GET', `/api/v1/audit?subject=schedule:${cron.body.schedule.id}`);
    expect(audit.body.events.map((x: { action: string }) => x.action)).toEqual(['schedule.created']);
    // crontab's nicknames read as their patterns, in the schedule's time zone: @daily is local midnight.
    const nightly = await a.call('POST', '/api/v1/schedules', {
      agent: 'probe',
      input: PROBE,
      cron: '@daily',
      timezone: 'America/Chicago',
    });
    expect(nightly.status).toBe(201);
    expect([5, 6]).toContain(new Date(nightly.body.schedule.nextRunAt).getUTCHours());
    expect((await a.call('DELETE', `/api/v1/schedules/${nightly.body.schedule.id}`)).status).toBe(204);
    // Its name is taken: a second one of that name is a conflict, not a bad request.
    const name = cron.body.schedule.name as string;
    expect(name).toBe('probe 0 2 * * * America/Chicago');
    // The same pattern in another zone is another schedule; a zone typed in lower case is that zone.
    const berlin = await a.call('POST', '/api/v1/schedules', {
      agent: 'probe',
      input: PROBE,
      cron: '0 2 * * *',
      timezone: 'europe/berlin',
    });
    expect(berlin.status, JSON.stringify(berlin.body)).toBe(201);
    expect(berlin.body.schedule).toMatchObject({ name: 'probe 0 2 * * * Europe/Berlin', timezone: 'Europe/Berlin' });
    const moved = await a.call('PATCH', `/api/v1/schedules/${berlin.body.schedule.id}`, { timezone: 'asia/tokyo' });
    expect(moved.body.schedule.timezone).toBe('Asia/Tokyo');
    // A zone's current name is kept, not turned into the old one ICU uses (Europe/Kiev, Asia/Calcutta).
    const kyiv = await a.call('PATCH', `/api/v1/schedules/${berlin.body.schedule.id}`, { timezone: 'Europe/Kyiv' });
    expect(kyiv.body.schedule.timezone).toBe('Europe/Kyiv');
    // The name generated from its timing follows the timing (a name given is never generated again).
    expect(kyiv.body.schedule.name).toBe('probe 0 2 * * * Europe/Kyiv');
    const every = await a.call('PATCH', `/api/v1/schedules/${berlin.body.schedule.id}`, { everyMs: 3_600_000 });
    expect(every.body.schedule.name).toBe('probe every 3600000 ms');
    await a.call('PATCH', `/api/v1/schedules/${berlin.body.schedule.id}`, { cron: '0 2 * * *', timezone: 'Europe/Kyiv' });
    // Sent in lower case, it is spelled as tz spells it, not kept in lower case.
    for (const [sent, spelled] of [
      ['europe/kyiv', 'Europe/Kyiv'],
      ['ASIA/KOLKATA', 'Asia/Kolkata'],
      ['asia/ho_chi_minh', 'Asia/Ho_Chi_Minh'],
      ['america/port-au-prince', 'America/Port-au-Prince'],
      // Other names of a zone are stored as its current name, never as an invented spelling.
      ['us/eastern', 'America/New_York'],
      ['etc/uct', 'UTC'],
      ['cst6cdt', 'America/Chicago'],
      ['Asia/Calcutta', 'Asia/Kolkata'],
      ['Europe/Uzhgorod', 'Europe/Kyiv'],
    ]) {
      const r = await a.call('PATCH', `/api/v1/schedules/${berlin.body.schedule.id}`, { timezone: sent });
      expect(r.body.schedule?.timezone, sent).toBe(spelled);
    }
    expect((await a.call('DELETE', `/api/v1/schedules/${berlin.body.schedule.id}`)).status).toBe(204);
    const dup = await a.call('POST', '/api/v1/schedules', { name, agent: 'probe', input: PROBE, everyMs: 60_000 });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('SCHEDULE_EXISTS');
    // Renamed to a name in use: the same 409, saying what to do.
    const other = await a.call('POST', '/api/v1/schedules', { name: `${name} too`, agent: 'probe', input: PROBE, everyMs: 60_000 });
    const renamed = await a.call('PATCH', `/api/v1/schedules/${other.body.schedule.id}`, { name });
    expect([renamed.status, renamed.body.error.code, renamed.body.error.message]).toEqual([
      409,
      'SCHEDULE_EXISTS',
      expect.stringContaining('another name'),
    ]);
    expect((await a.call('DELETE', `/api/v1/schedules/${other.body.schedule.id}`)).status).toBe(204);
    expect((await a.call('DELETE', `/api/v1/schedules/${cron.body.schedule.id}`)).status).toBe(204);
    expect((await a.call('GET', `/api/v1/schedules/${cron.body.schedule.id}`)).status).toBe(404);
  });
});
