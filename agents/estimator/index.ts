/**
 * estimator: a roofing estimate from measurements. The numbers come from the deterministic
 * core; the customer-facing summary is a language step with an offline template.
 * @module
 */
import { z } from 'zod';
import { defineAgent } from '../../runtime/public.ts';
import { estimate, options, round2 } from './core.ts';
import { MATERIALS, MATERIAL_SPECS, REGIONS, REGION_NAMES } from './prices.ts';
import { languageFallback, memoriesFor, money, recallSafe, rememberSafe } from '../tooling.ts';

export const estimatorInput = z.object({
  roofAreaSqFt: z.number().positive().max(1_000_000).describe('Roof plan (footprint) area in square feet'),
  pitch: z
    .string()
    .regex(/^(\d{1,2})\/12$/, 'pitch must look like "6/12" (rise per 12 of run)')
    .refine((p) => Number(p.split('/')[0]) <= 24, 'pitch rise must be at most 24/12')
    .describe('Roof pitch as rise/12, e.g. "6/12"'),
  material: z.enum(MATERIALS).describe('Roofing material'),
  layersToRemove: z.number().int().min(0).max(3).default(1).describe('Existing layers to tear off'),
  region: z
    .enum(REGION_NAMES as [string, ...string[]])
    .default('national')
    .describe('Price region'),
  customerId: z.string().min(1).max(100).optional().describe('CRM customer this estimate is for'),
  customerName: z.string().min(1).max(200).optional().describe('Name to address the summary to'),
});

const lineItem = z.object({
  description: z.string(),
  quantity: z.number(),
  unit: z.string(),
  unitPrice: z.number(),
  total: z.number(),
});

export const estimatorOutput = z.object({
  lineItems: z.array(lineItem),
  totals: z.object({ subtotal: z.number(), tax: z.number(), total: z.number() }),
  squares: z.number().describe('Roofing squares to order, including pitch and waste'),
  roofSquares: z.number().describe('Pitched roof area in squares, before waste'),
  pitchFactor: z.number(),
  wasteFactor: z.number(),
  material: z.enum(MATERIALS),
  region: z.string(),
  options: z.array(
    z.object({
      tier: z.enum(['good', 'better', 'best']),
      material: z.enum(MATERIALS),
      label: z.string(),
      total: z.number(),
      warrantyYears: z.number(),
      selected: z.boolean(),
    }),
  ),
  summary: z.string(),
  summaryModel: z.string().describe('Which model wrote the summary; "offline" (no model configured) or "template" (no usable answer) for the template'),
  summaryFallback: languageFallback.optional().describe('Why the template was used although a model is configured'),
  customerId: z.string().optional(),
  pastEstimates: z.array(z.string()).optional().describe("This customer's earlier estimates and accepted prices, from memory"),
});

export type EstimatorInput = z.output<typeof estimatorInput>;
export type EstimatorOutput = z.output<typeof estimatorOutput>;

export default defineAgent({
  name: 'estimator',
  description:
    'Roofing estimate from measurements: squares, materials, labour by region, tax, good/better/best options and a customer summary.',
  version: '1.0.0',
  input: estimatorInput,
  output: estimatorOutput,
  async run(ctx) {
    const input = ctx.input;
    const request = {
      roofAreaSqFt: input.roofAreaSqFt,
      rise: Number(input.pitch.split('/')[0]),
      material: input.material,
      layersToRemove: input.layersToRemove,
      region: input.region,
    };
    const numbers = await ctx.step('price', () => ({ ...estimate(request), options: options(request) }));
    await ctx.progress(60, 'priced');

    // The customer's earlier estimates (remembered by past runs) inform the summary.
    const who = input.customerId ?? input.customerName;
    const past = who
      ? (await recallSafe(ctx, `estimate for customer ${who}`, { k: 5, kinds: ['estimate'] }))
          .filter((m) => m.metadata.customer === who)
          .map((m) => m.content)
      : [];
    const spec = MATERIAL_SPECS[input.material];
    const region = REGIONS[input.region]?.label ?? input.region;
    const alternatives = numbers.options
      .filter((o) => !o.selected)
      .map((o) => `${o.tier}: ${o.label} at ${money(o.total)}`)
      .join('; ');
    const facts = [
      `Roof: ${input.roofAreaSqFt} sq ft plan area at ${input.pitch} pitch (${numbers.squares} squares to order incl. ${round2(numbers.wasteFactor * 100)}% waste).`,
      `Material: ${spec.label}, ${spec.warrantyYears}-year warranty. Region: ${region}.`,
      `Tear-off: ${input.layersToRemove} layer(s). Total ${money(numbers.totals.total)} including ${money(numbers.totals.tax)} tax.`,
      `Other options: ${alternatives}.`,
      ...(past.length ? [`Earlier estimates for this customer: ${past.join(' | ')}`] : []),
    ].join('\n');
    const prompt = `${input.customerName ? `Customer: ${input.customerName}\n` : ''}${facts}`;
    const summary = await ctx.llm.generate('summary', {
      system:
        'You write short, friendly, accurate roofing estimate summaries for homeowners. Use only the facts given. No more than 90 words.',
      prompt,
      memories: await memoriesFor(ctx, prompt),
      fallback: () =>
        [
          `${input.customerName ? `${input.customerName}, here` : 'Here'} is your roofing estimate.`,
          `We measured ${numbers.squares} squares of ${spec.label.toLowerCase()} for your ${input.pitch} roof`,
          `(${region} prices), with ${input.layersToRemove === 0 ? 'no tear-off' : `tear-off of ${input.layersToRemove} layer(s)`}.`,
          `Total: ${money(numbers.totals.total)} including ${money(numbers.totals.tax)} tax, ${spec.warrantyYears}-year material warranty.`,
          alternatives ? `Alternatives — ${alternatives}.` : '',
          'Questions or ready to book? Reply to this estimate and we will schedule your project.',
        ]
          .filter(Boolean)
          .join(' '),
    });
    if (who) {
      await rememberSafe(
        ctx,
        `Estimate for customer ${who}: ${money(numbers.totals.total)} for ${numbers.squares} squares of ${spec.label.toLowerCase()} at ${input.pitch}.`,
        {
          kind: 'estimate',
          customer: who,
          totalUsd: numbers.totals.total,
        },
      );
    }
    await ctx.progress(100, 'summary written');
    return {
      ...numbers,
      material: input.material,
      region: input.region,
      summary: summary.text,
      summaryModel: summary.model,
      ...(summary.fallback ? { summaryFallback: summary.fallback } : {}),
      ...(input.customerId ? { customerId: input.customerId } : {}),
      ...(past.length ? { pastEstimates: past } : {}),
    };
  },
});
