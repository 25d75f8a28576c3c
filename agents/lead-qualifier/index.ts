/**
 * lead-qualifier: scores open pipeline leads (fit, intent, value, recency; see core.ts) from
 * the pipeline, the CRM and memory, explains each score, moves leads it judges qualified
 * through the pipeline tool (never to `contacted`: that stage records a contact this agent
 * does not make) and remembers the result. The overview is a language step with a template.
 * @module
 */
import { z } from 'zod';
import { defineAgent } from '../../runtime/public.ts';
import { languageFallback, hasTool, recallSafe, rememberSafe, useTool } from '../tooling.ts';
import { scoreLead, STAGES, type Stage } from './core.ts';
import { pipelineLeadMove, pipelineLeadsList } from '../../tools/pipeline.ts';
import { count } from '../text.ts';

interface Lead {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  customerId: string | null;
  source: string;
  valueUsd: number;
  notes: string | null;
  stage: Stage;
  createdAt: string;
  updatedAt: string;
}

export const leadQualifierInput = z.object({
  stages: z
    .array(z.enum(['new', 'contacted']))
    .min(1)
    .default(['new', 'contacted'])
    .describe('Which stages to score'),
  limit: z.number().int().min(1).max(200).default(50),
  move: z.boolean().default(true).describe('Move leads scoring 70+ to qualified (never to contacted: nobody contacted them)'),
  serviceAreaZips: z
    .array(z.string().regex(/^\d{5}$/))
    .default([])
    .describe('ZIP codes we serve (matched against the customer address)'),
  now: z.iso.datetime().optional().describe('Score as of this time (default: now)'),
});

export const leadQualifierOutput = z.object({
  scored: z.array(
    z.object({
      leadId: z.string(),
      name: z.string(),
      score: z.number(),
      components: z.object({ fit: z.number(), intent: z.number(), value: z.number(), recency: z.number() }),
      explanation: z.array(z.string()),
      from: z.enum(STAGES),
      to: z.enum(STAGES),
      moved: z.boolean(),
      suggestedAction: z.enum(['contact', 'nurture']).nullable().describe('What a person should do next'),
    }),
  ),
  summary: z.string(),
  summaryModel: z.string(),
  summaryFallback: languageFallback.optional(),
});

export default defineAgent({
  name: 'lead-qualifier',
  description: 'Scores pipeline leads (fit, intent, value, recency) from CRM and memory, explains each score and moves leads forward.',
  version: '1.0.0',
  input: leadQualifierInput,
  output: leadQualifierOutput,
  tools: [pipelineLeadsList, pipelineLeadMove, 'crm_customer_get'],
  async run(ctx) {
    const list = ctx.tools.pipeline_leads_list;
    const move = ctx.tools.pipeline_lead_move;
    const now = await ctx.step('clock', () => ctx.input.now ?? new Date().toISOString());
    const leads: Lead[] = [];
    for (const stage of ctx.input.stages) leads.push(...(await list({ stage, limit: ctx.input.limit })).leads);
    await ctx.progress(20, `${leads.length} leads to score`);

    const scored: z.input<typeof leadQualifierOutput>['scored'] = [];
    for (const lead of leads.slice(0, ctx.input.limit)) {
      let existingCustomer = false;
      let inServiceArea: boolean | undefined;
      if (lead.customerId && hasTool(ctx, 'crm_customer_get')) {
        const c = (
          await useTool<{ id: string }, { customer: { address: string | null } }>(ctx, 'crm_customer_get')({ id: lead.customerId })
        ).customer;
        existingCustomer = true;
        const zip = /\b(\d{5})\b/.exec(c.address ?? '')?.[1];
        if (zip && ctx.input.serviceAreaZips.length) inServiceArea = ctx.input.serviceAreaZips.includes(zip);
      }
      // Memory: earlier accepted estimates or won jobs of this person are buying signals.
      const hits = await recallSafe(ctx, `${lead.name} ${lead.email ?? ''} accepted estimate won job`, { k: 5 });
      const memorySignals = hits.filter(
        (h) => h.score > 0.5 && h.content.toLowerCase().includes(lead.name.toLowerCase()) && /accept|won|signed|paid/i.test(h.content),
      ).length;
      const s = scoreLead({ ...lead, inServiceArea, existingCustomer, memorySignals, lastActivityAt: lead.updatedAt }, new Date(now));
      const moved = ctx.input.move && s.suggestedStage !== lead.stage;
      if (moved) await move({ id: lead.id, stage: s.suggestedStage, note: `lead-qualifier: score ${s.score}/100` });
      scored.push({
        leadId: lead.id,
        name: lead.name,
        score: s.score,
        components: s.components,
        explanation: s.explanation,
        from: lead.stage,
        to: moved ? s.suggestedStage : lead.stage,
        moved,
        suggestedAction: s.suggestedAction,
      });
    }
    await ctx.progress(80, `${scored.length} leads scored`);
    scored.sort((a, b) => b.score - a.score);
    const lines = scored.map(
      (s) =>
        `${s.name}: ${s.score}/100 (${s.explanation.join('; ')})${s.moved ? ` → ${s.to}` : ''}${s.suggestedAction === 'contact' ? ' — not contacted yet' : ''}`,
    );
    const summary = await ctx.llm.generate('summary', {
      system:
        'You are a sales manager. In under 120 words, say which leads to call first and why, using only the scores and reasons given.',
      prompt: lines.join('\n') || 'No open leads.',
      fallback: () =>
        scored.length
          ? `Call first: ${scored
              .slice(0, 3)
              .map((s) => `${s.name} (${s.score})`)
              .join(
                ', ',
              )}. ${count(scored.filter((s) => s.moved).length, 'lead')} judged qualified; ${scored.filter((s) => s.suggestedAction === 'contact').length} worth contacting, not contacted yet.`
          : 'No open leads to score.',
    });
    for (const s of scored.slice(0, 20)) {
      await rememberSafe(ctx, `Lead ${s.name} scored ${s.score}/100 on ${now.slice(0, 10)}: ${s.explanation.join('; ')}`, {
        kind: 'lead_score',
        leadId: s.leadId,
        score: s.score,
      });
    }
    return {
      scored,
      summary: summary.text,
      summaryModel: summary.model,
      ...(summary.fallback ? { summaryFallback: summary.fallback } : {}),
    };
  },
});
