/**
 * Handles, not strings: an agent that declares tool and agent handles gets `ctx.tools` and
 * `ctx.delegate` typed from their schemas. These are compile-time tests (`npm run
 * typecheck` fails when an `@ts-expect-error` below is not an error any more, i.e. when a
 * wrong input would compile); `expectTypeOf` pins the types, and vitest runs the file too.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, defineTool, type ChildResult, type TaskContext } from '../runtime/public.ts';
import { pipelineLeadMove, pipelineLeadsList } from '../tools/pipeline.ts';
import estimator from './estimator/index.ts';
import { MATERIALS } from './estimator/prices.ts';
import { DELEGATE_AGENTS, typedTask } from './aurea/delegates.ts';

const weather = defineTool({
  name: 'weather_forecast',
  description: 'Rain in the next days.',
  input: z.object({ zip: z.string().regex(/^\d{5}$/), days: z.number().int().min(1).max(7).default(3) }),
  output: z.object({ rainyDays: z.number() }),
  scope: 'read',
  handler: async () => ({ rainyDays: 1 }),
});

describe('typed tools and delegation', () => {
  it('types ctx.tools from the declared tool handles: the input is checked, the output known', () => {
    defineAgent({
      name: 'typed-tools',
      description: 'Type test.',
      version: '1.0.0',
      input: z.object({ zip: z.string() }),
      output: z.object({ rainy: z.number() }),
      tools: [weather, pipelineLeadsList, pipelineLeadMove, 'crm_customer_get'],
      async run(ctx) {
        expectTypeOf(ctx.tools.weather_forecast).parameter(0).toEqualTypeOf<{ zip: string; days?: number | undefined }>();
        const { rainyDays } = await ctx.tools.weather_forecast({ zip: ctx.input.zip });
        expectTypeOf(rainyDays).toEqualTypeOf<number>();
        // @ts-expect-error zip must be a string
        await ctx.tools.weather_forecast({ zip: 12345 });
        // @ts-expect-error days is a number, not a word
        await ctx.tools.weather_forecast({ zip: '78701', days: 'three' });
        // @ts-expect-error a stage that does not exist
        await ctx.tools.pipeline_leads_list({ stage: 'maybe' });
        // @ts-expect-error the move needs the lead's id
        await ctx.tools.pipeline_lead_move({ stage: 'won' });
        const { leads } = await ctx.tools.pipeline_leads_list({ stage: 'new', limit: 5 });
        expectTypeOf(leads[0]!.stage).toEqualTypeOf<'new' | 'contacted' | 'qualified' | 'estimate_sent' | 'won' | 'lost'>();
        // @ts-expect-error a tool the agent did not declare
        await ctx.tools.email_send({ to: 'a@example.com' });
        // A tool declared by name stays callable, untyped.
        expectTypeOf(ctx.tools.crm_customer_get).toEqualTypeOf<((input: unknown) => Promise<unknown>) | undefined>();
        return { rainy: rainyDays };
      },
    });
  });

  it('types ctx.delegate from the declared agent handles', () => {
    defineAgent({
      name: 'typed-delegate',
      description: 'Type test.',
      version: '1.0.0',
      input: z.object({}),
      output: z.object({ total: z.number() }),
      agents: [estimator],
      async run(ctx) {
        const r = await ctx.delegate(estimator, { roofAreaSqFt: 2000, pitch: '6/12', material: 'metal' });
        expectTypeOf(r).toExtend<ChildResult>();
        expectTypeOf(r.output!.totals.total).toEqualTypeOf<number>();
        // @ts-expect-error the estimator's material is one of its price book's words
        await ctx.delegate(estimator, { roofAreaSqFt: 2000, pitch: '6/12', material: 'straw' });
        // @ts-expect-error the roof area is required
        await ctx.delegate(estimator, { pitch: '6/12', material: 'metal' });
        // @ts-expect-error an agent that is not declared, by name
        await ctx.delegate('billing', {});
        return { total: r.output?.totals.total ?? 0 };
      },
    });
  });

  it("types aurea's sub-tasks: each planned task becomes one agent's handle with that agent's input", () => {
    const t = typedTask({ agent: 'estimator', input: { roofAreaSqFt: 1500, pitch: '4/12', material: 'tile' }, clause: 'estimate' });
    if (!('error' in t) && t.name === 'estimator') expectTypeOf(t.input.material).toEqualTypeOf<(typeof MATERIALS)[number]>();
    expectTypeOf(DELEGATE_AGENTS[0]).toEqualTypeOf<typeof estimator>();
  });

  it('leaves an agent that declares nothing untyped, as before', () => {
    expectTypeOf<TaskContext['tools']['any_tool']>().toEqualTypeOf<((input: unknown) => Promise<unknown>) | undefined>();
    expectTypeOf<Parameters<TaskContext['delegate']>[0]>().toEqualTypeOf<string>();
  });
});
