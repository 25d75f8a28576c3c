/**
 * Deterministic replay (`GET /api/v1/tasks/:id/replay`, `npx brainops replay <id>`): the
 * agent's current code against a task's recorded journal, with no model call, no tool call
 * and no write; the first divergence with both sides, or a sentence saying there was none.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fakeModel } from '@langchain/core/testing';
import { AIMessage } from '@langchain/core/messages';
import { builtInAgents } from '../agents/index.ts';
import { chatProvider, OFFLINE } from '../runtime/models.ts';
import { defineAgent, permanent } from '../runtime/public.ts';
import { eventually, startTestApp, switchableModel, type TestApp } from './harness.ts';

/** Which version of the probe's code runs: the test changes it between the run and the replay. */
let variant: 'v1' | 'v2-asks-another-lead' | 'v2-new-step-first' | 'v2-other-output' = 'v1';

const leads = defineAgent({
  name: 'lead-probe',
  description: 'Test agent: reads a note, creates a lead with a tool, may fail after that.',
  version: '1.0.0',
  input: z.object({ name: z.string(), failAtCharge: z.boolean().default(false) }),
  output: z.object({ leadId: z.string(), note: z.string() }),
  tools: ['pipeline_lead_create'],
  async run(ctx) {
    if (variant === 'v2-new-step-first') await ctx.step('score', () => 42);
    const note = await ctx.step('note', () => `lead from ${ctx.input.name}`);
    const name = variant === 'v2-asks-another-lead' ? ctx.input.name.toUpperCase() : ctx.input.name;
    const created = (await ctx.tools.pipeline_lead_create!({ name, source: 'website' })) as { lead: { id: string } };
    if (ctx.input.failAtCharge) {
      await ctx.step('charge', () => {
        throw permanent('CARD_DECLINED', 'The card was declined.');
      });
    }
    return { leadId: created.lead.id, note: variant === 'v2-other-output' ? note.toUpperCase() : note };
  },
});

describe('deterministic replay (pglite)', () => {
  const models = switchableModel();
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite', { overrides: { model: models.provider, agents: [...builtInAgents, leads] } });
  });
  afterAll(() => app?.stop());

  const done = (id: string) =>
    eventually(async () => {
      const t = (await app.call('GET', `/api/v1/tasks/${id}`)).body.task;
      return ['succeeded', 'failed', 'cancelled'].includes(t.status) ? t : undefined;
    }, 30_000);
  async function run(agent: string, input: unknown) {
    const r = await app.call('POST', `/api/v1/agents/${agent}/tasks`, { input });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    return done(r.body.task.id);
  }
  /** Everything a replay must not change. */
  const footprint = async () =>
    (
      await app.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM task_steps) + (SELECT count(*) FROM task_events) * 1000 + (SELECT count(*) FROM memories) * 1000000
           + (SELECT count(*) FROM leads) * 1000000000 + (SELECT count(*) FROM tasks) * 1000000000000 AS n`,
      )
    )[0]!.n;

  it('replays a finished estimate with no divergence, no model call and no write', async () => {
    const fake = fakeModel().respond(
      new AIMessage({
        content: 'Your roof: 24 squares. (scripted)',
        usage_metadata: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
      }),
    );
    models.use(chatProvider('gemini-2.5-flash', fake));
    const task = await run('estimator', { roofAreaSqFt: 2000, pitch: '6/12', material: 'metal', customerName: 'Ada Replay' });
    expect(task.status).toBe('succeeded');
    expect(fake.callCount).toBe(1);
    const before = await footprint();

    const r = await app.call('GET', `/api/v1/tasks/${task.id}/replay`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const replay = r.body.replay;
    expect(replay.outcome).toBe('clean');
    expect(replay.message).toMatch(/^No divergence: /);
    expect(replay.divergence).toBeUndefined();
    expect(replay.outputMatches).toBe(true);
    // price, the memory recall for the prompt, the summary, the memory write: every recorded step, in order.
    const steps = (await app.call('GET', `/api/v1/tasks/${task.id}`)).body.steps.map((s: { name: string }) => s.name);
    expect(replay.steps.map((s: { key: string }) => s.key)).toEqual(steps);
    expect(steps).toEqual(expect.arrayContaining(['price', 'summary', 'memory.remember']));
    expect(fake.callCount).toBe(1);
    expect(await footprint()).toBe(before);
  });

  it('replays a finished tool-calling task without calling the tool; a changed agent reports its first divergence', async () => {
    variant = 'v1';
    const task = await run('lead-probe', { name: 'Grace Replay' });
    expect(task.status).toBe('succeeded');
    const before = await footprint();
    const clean = (await app.call('GET', `/api/v1/tasks/${task.id}/replay`)).body.replay;
    expect(clean).toMatchObject({ outcome: 'clean', outputMatches: true, steps: [{ key: 'note' }, { key: 'tool:pipeline_lead_create' }] });
    expect(await footprint()).toBe(before);

    // The new code asks the tool for another lead at the same key: both inputs are shown.
    variant = 'v2-asks-another-lead';
    const changed = (await app.call('GET', `/api/v1/tasks/${task.id}/replay`)).body.replay;
    expect(changed.outcome).toBe('diverged');
    expect(changed.divergence).toMatchObject({
      kind: 'request',
      replay: {
        key: 'tool:pipeline_lead_create',
        request: { tool: 'pipeline_lead_create', input: { name: 'GRACE REPLAY', source: 'website' } },
      },
      recorded: {
        key: 'tool:pipeline_lead_create',
        request: { tool: 'pipeline_lead_create', input: { name: 'Grace Replay', source: 'website' } },
      },
    });
    expect(changed.message).toMatch(/^Divergence at step tool:pipeline_lead_create/);

    // The new code asks a step first that the journal lacks: its first divergence, with the step the recorded run did next.
    variant = 'v2-new-step-first';
    const added = (await app.call('GET', `/api/v1/tasks/${task.id}/replay`)).body.replay;
    expect(added).toMatchObject({
      outcome: 'diverged',
      steps: [],
      divergence: { kind: 'missing', replay: { key: 'score' }, recorded: { key: 'note', result: 'lead from Grace Replay' } },
    });
    expect(await footprint()).toBe(before);

    // The same steps with the same requests, but another output: a divergence at the end, with both outputs.
    variant = 'v2-other-output';
    const other = (await app.call('GET', `/api/v1/tasks/${task.id}/replay`)).body.replay;
    expect(other).toMatchObject({
      outcome: 'diverged',
      outputMatches: false,
      divergence: {
        kind: 'output',
        replay: { output: { note: 'LEAD FROM GRACE REPLAY' } },
        recorded: { output: { note: 'lead from Grace Replay' } },
      },
    });
    variant = 'v1';
  });

  it('replays a failed task up to its failure', async () => {
    variant = 'v1';
    const task = await run('lead-probe', { name: 'Failing Replay', failAtCharge: true });
    expect(task.status).toBe('failed');
    expect(task.error.code).toBe('CARD_DECLINED');
    const before = await footprint();
    const replay = (await app.call('GET', `/api/v1/tasks/${task.id}/replay`)).body.replay;
    expect(replay).toMatchObject({
      outcome: 'reached-failure',
      steps: [{ key: 'note' }, { key: 'tool:pipeline_lead_create' }],
      next: { key: 'charge' },
    });
    expect(replay.message).toMatch(
      /^No divergence: 2 recorded step\(s\) replayed, up to the recorded failure at step charge \(CARD_DECLINED/,
    );
    expect(await footprint()).toBe(before);
  });

  it('replays a task waiting for approval up to where a resumed run would go on', async () => {
    models.use(OFFLINE);
    await app.proc.tools.call(
      'pipeline_lead_create',
      { name: 'Wanda Waiting', email: 'wanda@example.com', source: 'website' },
      { tenantId: 'default', caller: { kind: 'system' } },
    );
    const r = await app.call('POST', '/api/v1/agents/email-outreach/tasks', {
      input: { audience: { from: 'leads', stage: 'new' }, offer: 'Free inspections this month.' },
    });
    const id = r.body.task.id;
    const waiting = await eventually(async () => {
      const t = (await app.call('GET', `/api/v1/tasks/${id}`)).body.task;
      return ['awaiting_approval', 'succeeded', 'failed'].includes(t.status) ? t : undefined;
    });
    expect(waiting.status, JSON.stringify(waiting.error ?? waiting.output)).toBe('awaiting_approval');
    const before = await footprint();
    const replay = (await app.call('GET', `/api/v1/tasks/${id}/replay`)).body.replay;
    expect(replay).toMatchObject({ outcome: 'caught-up', taskStatus: 'awaiting_approval', next: { key: 'approval:email.send' } });
    expect(replay.message).toMatch(
      /^No divergence: .* the code waits for approval approval:email\.send \(pending\), as the recorded run does\.$/,
    );
    expect(await footprint()).toBe(before);
  });

  it('answers 404 for an unknown task', async () => {
    const r = await app.call('GET', '/api/v1/tasks/00000000-0000-4000-8000-000000000000/replay');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('NOT_FOUND');
  });

  it('`brainops replay <id>` prints the report, finding the server by BRAINOPS_URL and BRAINOPS_API_KEY', async () => {
    variant = 'v1';
    const task = await run('lead-probe', { name: 'Cli Replay' });
    const bin = fileURLToPath(new URL('../bin/brainops.mjs', import.meta.url));
    // Not spawnSync: the server answering it runs in this process.
    const out = await promisify(execFile)(process.execPath, [bin, 'replay', task.id], {
      env: {
        ...process.env,
        BRAINOPS_URL: app.url,
        BRAINOPS_API_KEY: app.key,
        LOG_LEVEL: 'silent',
        BRAINOPS_DATA_DIR: app.config.BRAINOPS_DATA_DIR,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out.stdout).toMatch(/No divergence: /);
    expect(out.stdout).toMatch(/tool:pipeline_lead_create/);
  });
});
