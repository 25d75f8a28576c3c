/**
 * estimator: a roofing estimate from measurements. The numbers come from the deterministic
 * core (IRC R905 slope rules, the dated price book); the customer-facing summary is a
 * language step with an offline template. A covering the code does not allow on the slope is
 * never priced: the estimate is for a low-slope membrane instead (`substitution` says why), or
 * with `belowMinimumSlope: "refuse"` the task fails with BELOW_MINIMUM_SLOPE and the reason.
 * @module
 */
import { z } from 'zod';
import { label } from '../../runtime/text.ts';
import { AppError, defineAgent, permanent } from '../../runtime/public.ts';
import { estimatesRecord } from '../../tools/estimates.ts';
import { isUuid } from '../../runtime/tasks.ts';
import { estimate, options, plan, round2 } from './core.ts';
import { parsePitch } from './pitch.ts';
import { MATERIALS, MATERIAL_SPECS, PRICE_BOOK, REGIONS, REGION_NAMES } from './prices.ts';
import { languageFallback, memoriesFor, money, recallSafe, rememberSafe } from '../tooling.ts';
import { count } from '../text.ts';

export const estimatorInput = z.object({
  roofAreaSqFt: z.number().positive().max(1_000_000).describe('Roof plan (footprint) area in square feet'),
  pitch: z
    .string()
    .max(40)
    .superRefine((p, c) => {
      const r = parsePitch(p);
      if ('error' in r) c.addIssue({ code: 'custom', message: r.error });
    })
    .describe('Roof pitch: rise per 12 of run ("6/12", "6:12", "6 in 12") or an angle ("26.6°"); at most 24/12'),
  material: z.enum(MATERIALS).describe('Roofing material'),
  belowMinimumSlope: z
    .enum(['offer_membrane', 'refuse'])
    .default('offer_membrane')
    .describe('When the code does not allow the material on this slope: price a low-slope membrane instead, or fail with the reason'),
  layersToRemove: z.number().int().min(0).max(3).default(1).describe('Existing layers to tear off'),
  region: z
    .enum(REGION_NAMES as [string, ...string[]])
    .default('national')
    .describe('Price region'),
  customerId: z.string().min(1).max(100).optional().describe('CRM customer this estimate is for'),
  customerName: label(200).optional().describe('Name to address the summary to'),
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
  totals: z
    .object({ cost: z.number(), overhead: z.number(), profit: z.number(), subtotal: z.number(), tax: z.number(), total: z.number() })
    .describe('USD: subtotal = cost + overhead + profit (the line items); tax on materials; total = subtotal + tax'),
  pricePerSqFtOfRoof: z.number().describe('Total per square foot of pitched roof area, USD'),
  pitch: z
    .object({ rise: z.number(), degrees: z.number(), label: z.string() })
    .describe('The pitch as read: rise per 12 of run and its angle'),
  slope: z
    .object({
      allowed: z.boolean(),
      minRise: z.number(),
      section: z.string(),
      doubleUnderlayment: z.boolean(),
      taperedInsulation: z.boolean(),
      note: z.string(),
    })
    .describe('The IRC R905 check of the priced material on this slope'),
  substitution: z
    .object({ requested: z.enum(MATERIALS), reason: z.string() })
    .optional()
    .describe('Set when the requested material is not allowed on this slope and a low-slope system was priced instead'),
  priceBook: z.object({ edition: z.string(), asOf: z.string(), basis: z.string(), sources: z.array(z.string()) }),
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
  summaryModel: z
    .string()
    .describe('Which model wrote the summary; "offline" (no model configured) or "template" (no usable answer) for the template'),
  summaryFallback: languageFallback.optional().describe('Why the template was used although a model is configured'),
  customerId: z.string().optional(),
  pastEstimates: z.array(z.string()).optional().describe("This customer's earlier estimates and accepted prices, from memory"),
  estimateId: z
    .string()
    .describe('The draft estimate this task stored (GET /api/v1/estimates?taskId=<task> lists it; checkout takes it once accepted)'),
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
  tools: [estimatesRecord],
  async run(ctx) {
    const input = ctx.input;
    const pitch = parsePitch(input.pitch);
    if ('error' in pitch) throw permanent('INVALID_PITCH', pitch.error);
    const asked = {
      roofAreaSqFt: input.roofAreaSqFt,
      rise: pitch.rise,
      material: input.material,
      layersToRemove: input.layersToRemove,
      region: input.region,
    };
    const chosen = plan(asked);
    if (chosen.substitution && input.belowMinimumSlope === 'refuse')
      throw permanent('BELOW_MINIMUM_SLOPE', chosen.substitution.reason.split(' Priced as')[0]!);
    const request = { ...asked, material: chosen.material };
    const numbers = await ctx.step('price', () => ({ ...estimate(request), options: options(request) }));
    await ctx.progress(60, 'priced');

    // The customer's earlier estimates (remembered by past runs) inform the summary.
    const who = input.customerId ?? input.customerName;
    const past = who
      ? (await recallSafe(ctx, `estimate for customer ${who}`, { k: 5, kinds: ['estimate'] }))
          .filter((m) => m.metadata.customer === who)
          .map((m) => m.content)
      : [];
    const spec = MATERIAL_SPECS[request.material];
    const region = REGIONS[input.region]?.label ?? input.region;
    const alternatives = numbers.options
      .filter((o) => !o.selected)
      .map((o) => `${o.tier}: ${o.label} at ${money(o.total)}`)
      .join('; ');
    const facts = [
      `Roof: ${input.roofAreaSqFt} sq ft plan area at ${pitch.label} pitch (${numbers.squares} squares to order incl. ${round2(numbers.wasteFactor * 100)}% waste).`,
      ...(chosen.substitution
        ? [`Code: ${chosen.substitution.reason}`]
        : numbers.slope.doubleUnderlayment || numbers.slope.taperedInsulation
          ? [`Code: ${numbers.slope.note}`]
          : []),
      `Material: ${spec.label}, ${spec.warrantyYears}-year warranty. Region: ${region}.`,
      `Tear-off: ${count(input.layersToRemove, 'layer')}. Total ${money(numbers.totals.total)} including ${money(numbers.totals.tax)} tax.`,
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
          chosen.substitution
            ? chosen.substitution.reason
            : numbers.slope.doubleUnderlayment || numbers.slope.taperedInsulation
              ? numbers.slope.note
              : '',
          `We measured ${numbers.squares} squares of ${spec.label.toLowerCase()} for your ${pitch.label} roof`,
          `(${region} prices), with ${input.layersToRemove === 0 ? 'no tear-off' : `tear-off of ${count(input.layersToRemove, 'layer')}`}.`,
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
        `Estimate for customer ${who}: ${money(numbers.totals.total)} for ${numbers.squares} squares of ${spec.label.toLowerCase()} at ${pitch.label}.`,
        {
          kind: 'estimate',
          customer: who,
          totalUsd: numbers.totals.total,
        },
      );
    }
    await ctx.progress(90, 'summary written');
    const output = {
      ...numbers,
      pitch,
      ...(chosen.substitution ? { substitution: chosen.substitution } : {}),
      priceBook: { ...PRICE_BOOK, sources: [...PRICE_BOOK.sources] },
      material: request.material,
      region: input.region,
      summary: summary.text,
      summaryModel: summary.model,
      ...(summary.fallback ? { summaryFallback: summary.fallback } : {}),
      ...(input.customerId ? { customerId: input.customerId } : {}),
      ...(past.length ? { pastEstimates: past } : {}),
    };
    // Stored as a draft, once per task (the tool answers the stored one to a retry): whichever
    // way the task was started, its estimate is on record and can be accepted and paid.
    const stored = await recordDraft(ctx, output, input.customerId);
    await ctx.progress(100, 'stored');
    return { ...output, estimateId: stored };
  },
});

/** Stores the estimate; linked to the customer when `customerId` is one in the CRM, else unlinked. */
async function recordDraft(
  ctx: { taskId: string; tools: { estimates_record: (i: z.input<typeof estimatesRecord.input>) => Promise<{ estimate: { id: string } }> } },
  output: Omit<EstimatorOutput, 'estimateId'>,
  customerId: string | undefined,
): Promise<string> {
  const draft = { output, taskId: ctx.taskId, status: 'draft' as const };
  if (customerId && isUuid(customerId)) {
    try {
      return (await ctx.tools.estimates_record({ ...draft, customerId })).estimate.id;
    } catch (err) {
      if (!(err instanceof AppError && err.status === 404)) throw err;
    }
  }
  return (await ctx.tools.estimates_record(draft)).estimate.id;
}
