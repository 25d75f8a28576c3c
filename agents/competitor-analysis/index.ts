/**
 * competitor-analysis: positions us in a market. The numbers (price index, positioning
 * matrix, ranked threats and opportunities) come from the deterministic core; the narrative
 * is a language step with an offline template. Without a market, it analyses the markets in
 * the business's settings (competitorMarkets): the stored competitors serving any of them.
 * With `digest: true` (the weekly default job) the owner gets what changed.
 * @module
 */
import { z } from 'zod';
import { label } from '../../runtime/text.ts';
import { defineAgent } from '../../runtime/public.ts';
import { REGION_NAMES } from '../estimator/prices.ts';
import { DIGEST_APPROVAL, DIGEST_TOOLS, sendDigest } from '../digest.ts';
import { hasTool, languageFallback, recallSafe, rememberSafe } from '../tooling.ts';
import { compareRuns, describeChanges, readSummary, summarise } from './compare.ts';
import { findings, ourPriceBook, positioning, priceIndex, type CompetitorData } from './core.ts';
import { competitorRecordsList, reviewCount } from '../../tools/competitors.ts';
import { settingsGet } from '../../tools/settings.ts';
import { usd } from '../../tools/util.ts';
import { count } from '../text.ts';

const competitor = z.object({
  name: label(200),
  prices: z.record(z.string().min(1).max(60), usd(0.01, 100_000)).default({}),
  rating: z.number().min(0).max(5).nullable().default(null),
  reviews: reviewCount.default(0),
  services: z.array(label(100)).max(50).default([]),
  serviceArea: z.array(label(100)).max(200).default([]),
});

export const competitorAnalysisInput = z.object({
  competitors: z.array(competitor).max(100).optional().describe('Competitor records; omitted: the stored ones (competitor_records_list)'),
  region: z
    .enum(REGION_NAMES as [string, ...string[]])
    .default('national')
    .describe('Region of our price book'),
  ourPrices: z
    .record(z.string().min(1).max(60), usd(0.01, 100_000))
    .optional()
    .describe('USD per square by material; default: our price book'),
  ourRating: z.number().min(0).max(5).nullable().default(null),
  ourReviews: reviewCount.default(0),
  ourServices: z.array(label(100)).max(50).default(['roof replacement', 'roof repair', 'inspection']),
  ourServiceArea: z.array(label(100)).max(200).default([]),
  market: label(200)
    .optional()
    .describe("Name of the market, to compare with its previous run; default: the markets in the business's settings, else the region"),
  digest: z.boolean().default(false).describe('Send the owner a digest of what changed (the default schedule does)'),
});

const finding = z.object({
  kind: z.enum(['threat', 'opportunity']),
  title: z.string(),
  competitor: z.string().nullable(),
  score: z.number(),
  reasons: z.array(z.string()),
});

export const competitorAnalysisOutput = z.object({
  competitors: z.number(),
  priceIndex: z.array(
    z.object({
      material: z.string(),
      ourPrice: z.number(),
      marketMedian: z.number().nullable(),
      marketMin: z.number().nullable(),
      marketMax: z.number().nullable(),
      index: z.number().nullable(),
      competitors: z.number(),
    }),
  ),
  positioning: z.array(
    z.object({
      name: z.string(),
      priceIndex: z.number().nullable(),
      rating: z.number().nullable(),
      reviews: z.number(),
      coverage: z.number().nullable(),
      serviceOverlap: z.number().nullable(),
      quadrant: z.string(),
    }),
  ),
  threats: z.array(finding),
  opportunities: z.array(finding),
  narrative: z.string(),
  narrativeModel: z.string(),
  narrativeFallback: languageFallback.optional(),
  changes: z
    .object({
      previousAt: z.string(),
      priceIndex: z.array(
        z.object({ material: z.string(), previous: z.number().nullable(), current: z.number().nullable(), delta: z.number().nullable() }),
      ),
      newCompetitors: z.array(z.string()),
      removedCompetitors: z.array(z.string()),
      threatRanking: z.array(
        z.object({
          competitor: z.string(),
          previousRank: z.number().nullable(),
          currentRank: z.number().nullable(),
          change: z.number().nullable(),
        }),
      ),
    })
    .nullable()
    .describe('What changed since the previous run for the same market; null on the first run'),
  market: z.string().describe('The market analysed'),
  digest: z.object({ digestId: z.string(), emailedTo: z.string().nullable() }).optional(),
});

export default defineAgent({
  name: 'competitor-analysis',
  description:
    'Positions us in a market: price index vs our price book, rating/coverage matrix, ranked threats and opportunities, and a narrative.',
  version: '1.0.0',
  input: competitorAnalysisInput,
  output: competitorAnalysisOutput,
  tools: [competitorRecordsList, settingsGet, ...DIGEST_TOOLS],
  approvals: [DIGEST_APPROVAL],
  async run(ctx) {
    const i = ctx.input;
    let markets: string[] = [];
    if (!i.market && !i.competitors && hasTool(ctx, 'settings_get'))
      markets = (await ctx.tools.settings_get({})).settings.competitorMarkets;
    const stored: CompetitorData[] = i.competitors ?? (await ctx.tools.competitor_records_list({ limit: 200 })).competitors;
    // The settings' markets: the competitors that serve any of them (or say nothing of where they work).
    const serves = (c: CompetitorData) =>
      !c.serviceArea?.length ||
      c.serviceArea.some((a) =>
        markets.some((m) => a.toLowerCase().includes(m.toLowerCase()) || m.toLowerCase().includes(a.toLowerCase())),
      );
    const list: CompetitorData[] = markets.length && !i.competitors ? stored.filter(serves) : stored;
    const us = {
      prices: i.ourPrices ?? ourPriceBook(i.region),
      rating: i.ourRating,
      reviews: i.ourReviews,
      services: i.ourServices,
      serviceArea: i.ourServiceArea,
    };
    const numbers = await ctx.step('analyse', () => ({
      priceIndex: priceIndex(us, list),
      positioning: positioning(us, list),
      ...findings(us, list),
    }));
    await ctx.progress(60, 'analysed');
    // The previous run for this market (remembered below by that run) gives the changes.
    const market = i.market ?? (markets.length ? markets.join(' + ') : i.region);
    const at = await ctx.step('clock', () => new Date().toISOString());
    const current = summarise(
      market,
      at,
      numbers.priceIndex,
      list.map((c) => c.name),
      numbers.threats,
    );
    const previous = (await recallSafe(ctx, `competitor findings ${market}`, { k: 20, kinds: ['competitor_findings'] }))
      .map((h) => readSummary(h.metadata))
      .filter((x) => x !== undefined && x.market === market && x.at < at)
      .sort((a, b) => b!.at.localeCompare(a!.at))[0];
    const changes = previous ? compareRuns(previous, current) : null;
    const top = (xs: { title: string; reasons: string[] }[]) => xs.slice(0, 3).map((f) => `${f.title} (${f.reasons.join('; ')})`);
    const facts = [
      `Competitors analysed: ${list.length}.`,
      `Price index (ours vs market median, 100 = same): ${numbers.priceIndex.map((p) => `${p.material} ${p.index ?? 'n/a'}`).join(', ')}.`,
      `Top threats: ${top(numbers.threats).join(' | ') || 'none'}.`,
      `Top opportunities: ${top(numbers.opportunities).join(' | ') || 'none'}.`,
      changes ? `Changes: ${describeChanges(changes)}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    const narrative = await ctx.llm.generate('narrative', {
      system:
        'You are a pricing and market analyst for a roofing company. Using only the facts given, write a short market position summary and three concrete recommendations. At most 150 words.',
      prompt: facts,
      fallback: () =>
        [
          list.length
            ? `We compared ourselves with ${count(list.length, 'competitor')}.`
            : 'No competitor records were available, so there is nothing to compare against yet.',
          ...numbers.priceIndex
            .filter((p) => p.index !== null)
            .map((p) => `${p.material.replace(/_/g, ' ')}: we are at ${p.index} against a market median of $${p.marketMedian}/square.`),
          numbers.threats[0]
            ? `Biggest threat: ${numbers.threats[0].title} — ${numbers.threats[0].reasons.join(', ')}.`
            : 'No competitor stands out as a threat.',
          numbers.opportunities[0]
            ? `Best opportunity: ${numbers.opportunities[0].title} — ${numbers.opportunities[0].reasons.join(', ')}.`
            : '',
          changes ? describeChanges(changes) : '',
        ]
          .filter(Boolean)
          .join(' '),
    });
    const index = numbers.priceIndex.map((p) => `${p.material} ${p.index ?? 'n/a'}`).join(', ');
    await rememberSafe(
      ctx,
      `Competitor findings for ${market}: ${list.length} competitors (${current.competitors.join(', ')}); price index ${index}; top threats ${current.threats.slice(0, 3).join(', ') || 'none'}.`,
      {
        kind: 'competitor_findings',
        ...current,
      },
    );
    await ctx.progress(100, 'narrative written');
    const digest = i.digest
      ? await sendDigest(ctx, {
          title: changes ? `Market ${market}: what changed this week` : `Market ${market}: first scan`,
          body: `${changes ? describeChanges(changes) : `This is the first scan of ${market}: ${count(list.length, 'competitor')} compared.`} ${numbers.threats[0] ? `The biggest threat is ${numbers.threats[0].title}.` : 'No competitor stands out as a threat.'}`,
          facts: numbers.priceIndex
            .filter((p) => p.index !== null)
            .map((p) => `${p.material.replace(/_/g, ' ')}: our price index ${p.index} (market median $${p.marketMedian}/square)`),
        })
      : undefined;
    return {
      competitors: list.length,
      ...numbers,
      narrative: narrative.text,
      narrativeModel: narrative.model,
      ...(narrative.fallback ? { narrativeFallback: narrative.fallback } : {}),
      changes,
      market,
      ...(digest ? { digest } : {}),
    };
  },
});
