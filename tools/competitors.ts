/**
 * Competitor records: name, prices per material (USD per square), rating, review count,
 * services and service area. The competitor-analysis agent reads them.
 * @module
 */
import { z } from 'zod';
import { label } from '../runtime/text.ts';
import { wholeNumber } from '../runtime/numbers.ts';
import type { AnyTool } from '../runtime/tools.ts';
import { businessTool } from './services.ts';
import { iso, usd } from './util.ts';

/** A review count: a business with more than ten million reviews is a typo. */
export const reviewCount = z.number().int().min(0).max(10_000_000);

export const competitorInput = z
  .object({
    name: label(200),
    prices: z.record(z.string().min(1).max(60), usd(0.01, 100_000)).default({}).describe('USD per roofing square, by material'),
    rating: z.number().min(0).max(5).nullable().optional(),
    reviews: reviewCount.default(0),
    services: z.array(label(100)).max(50).default([]),
    serviceArea: z.array(label(100)).max(200).default([]),
  })
  .strict();

export const competitorRecord = z.object({
  id: z.string(),
  name: z.string(),
  prices: z.record(z.string(), z.number()),
  rating: z.number().nullable(),
  reviews: z.number(),
  services: z.array(z.string()),
  serviceArea: z.array(z.string()),
  updatedAt: z.string(),
});

interface Row {
  id: string;
  name: string;
  prices: Record<string, number>;
  rating: string | null;
  reviews: number;
  services: string[];
  service_area: string[];
  updated_at: Date;
}

const toCompetitor = (r: Row): z.output<typeof competitorRecord> => ({
  id: r.id,
  name: r.name,
  prices: r.prices,
  rating: r.rating === null ? null : Number(r.rating),
  reviews: r.reviews,
  services: r.services,
  serviceArea: r.service_area,
  updatedAt: iso(r.updated_at)!,
});

/** The `competitor_records_list` tool's handle: agents that declare it call it typed. */
export const competitorRecordsList = businessTool({
  name: 'competitor_records_list',
  description: 'List the competitor records of this business.',
  input: z.object({ limit: wholeNumber(1, 500, 200) }),
  output: z.object({ competitors: z.array(competitorRecord) }),
  scope: 'read',
  route: { method: 'GET', path: '/api/v1/competitors' },
  probe: { limit: 1 },
  handler: (i, ctx) =>
    ctx.tx(async (sql) => ({
      competitors: (await sql.query<Row>(`SELECT * FROM competitors ORDER BY name LIMIT $1`, [i.limit])).rows.map(toCompetitor),
    })),
});

export const competitorTools: AnyTool[] = [
  competitorRecordsList,
  businessTool({
    name: 'competitor_record_upsert',
    description: 'Create or replace a competitor record by name.',
    input: competitorInput,
    output: z.object({ competitor: competitorRecord }),
    scope: 'write',
    sideEffect: true,
    audit: { action: 'competitor.recorded', subject: (_i, o) => `competitor:${o.competitor.id}`, details: (i) => ({ name: i.name }) },
    route: { method: 'PUT', path: '/api/v1/competitors' },
    handler: (i, ctx) =>
      ctx.tx(async (sql) => {
        const r = await sql.query<Row>(
          `INSERT INTO competitors (tenant_id, name, prices, rating, reviews, services, service_area) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (tenant_id, name) DO UPDATE SET prices = EXCLUDED.prices, rating = EXCLUDED.rating, reviews = EXCLUDED.reviews,
             services = EXCLUDED.services, service_area = EXCLUDED.service_area, updated_at = now()
           RETURNING *`,
          [ctx.tenantId, i.name, JSON.stringify(i.prices), i.rating ?? null, i.reviews, i.services, i.serviceArea],
        );
        return { competitor: toCompetitor(r.rows[0]!) };
      }),
  }),
];
