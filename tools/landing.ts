/**
 * Landing pages: published at /landing/:slug as real HTML with a lead-capture form (the
 * public routes render them; api/routes/public.ts).
 * @module
 */
import { z } from 'zod';
import { label, readableText } from '../runtime/text.ts';
import { wholeNumber } from '../runtime/numbers.ts';
import type { Sql } from '../runtime/db/driver.ts';
import { conflict } from '../runtime/errors.ts';
import type { AnyTool } from '../runtime/tools.ts';
import { businessTool } from './services.ts';
import { id, iso } from './util.ts';

export const SLUG = /^[a-z0-9][a-z0-9-]{1,79}$/;

export const landingRecord = z.object({
  id: z.string(),
  slug: z.string(),
  url: z.string(),
  title: z.string(),
  headline: z.string(),
  body: z.string(),
  cta: z.string(),
  campaignId: z.string().nullable(),
  model: z.string(),
  published: z.boolean(),
  createdAt: z.string(),
});

export interface LandingRow {
  id: string;
  tenant_id: string;
  slug: string;
  title: string;
  headline: string;
  body: string;
  cta: string;
  campaign_id: string | null;
  model: string;
  published: boolean;
  created_at: Date;
}

export const toLanding = (r: LandingRow, base: string) => ({
  id: r.id,
  slug: r.slug,
  url: `${base}/landing/${r.slug}`,
  title: r.title,
  headline: r.headline,
  body: r.body,
  cta: r.cta,
  campaignId: r.campaign_id,
  model: r.model,
  published: r.published,
  createdAt: iso(r.created_at)!,
});

export function slugify(s: string): string {
  const slug = s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return slug.length >= 2 ? slug : `page-${slug}`;
}

/** A slug free across all tenants (slugs are global): `base`, else `base-2`, `base-3`, ... */
async function freeSlug(sql: Sql, base: string, explicit: boolean): Promise<string> {
  // Slugs are global, but tenant work only sees its own rows: the unique index decides.
  for (let n = 1; n <= 50; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    const taken = await sql.query(`SELECT landing_slug_taken($1) AS taken`, [candidate]);
    if (!(taken.rows[0] as { taken: boolean }).taken) return candidate;
    if (explicit) throw conflict('SLUG_TAKEN', `The landing-page slug '${base}' is already in use.`);
  }
  throw conflict('SLUG_TAKEN', `No free slug near '${base}'.`);
}

export const landingInput = z
  .object({
    slug: z.string().regex(SLUG, 'slug must be 2-80 lowercase letters, digits or dashes').optional(),
    title: label(200),
    headline: label(300),
    body: readableText(20_000),
    cta: label(100),
    campaignId: id.optional(),
    model: label(100).optional().describe('Which model wrote the copy, or "offline"'),
  })
  .strict();

/** The `landing_page_publish` tool's handle: agents that declare it call it typed. */
export const landingPagePublish = businessTool({
  name: 'landing_page_publish',
  description: 'Publish a landing page at /landing/:slug with a lead-capture form.',
  input: landingInput,
  output: z.object({ page: landingRecord }),
  scope: 'write',
  sideEffect: true,
  audit: {
    action: 'landing.published',
    subject: (_i, o) => `landing_page:${o.page.id}`,
    details: (_i, o) => ({ slug: o.page.slug, url: o.page.url, title: o.page.title }),
  },
  route: { method: 'POST', path: '/api/v1/landing-pages/publish', status: 201 },
  handler: (i, ctx) =>
    ctx.tx(async (sql) => {
      if (i.campaignId) {
        const c = await sql.query(`SELECT 1 FROM ads_campaigns WHERE id = $1`, [i.campaignId]);
        if (!c.rowCount) throw conflict('CAMPAIGN_UNKNOWN', `Ad campaign '${i.campaignId}' was not found.`);
      }
      const slug = await freeSlug(sql, i.slug ?? slugify(i.title), i.slug !== undefined);
      const r = await sql.query<LandingRow>(
        `INSERT INTO landing_pages (tenant_id, slug, title, headline, body, cta, campaign_id, model) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
        [ctx.tenantId, slug, i.title, i.headline, i.body, i.cta, i.campaignId ?? null, i.model ?? 'manual'],
      );
      return { page: toLanding(r.rows[0]!, ctx.services.baseUrl()) };
    }),
});

export const landingTools: AnyTool[] = [
  landingPagePublish,
  businessTool({
    name: 'landing_pages_list',
    description: 'List this business’s landing pages.',
    input: z.object({ limit: wholeNumber(1, 500, 100) }),
    output: z.object({ pages: z.array(landingRecord) }),
    scope: 'read',
    route: { method: 'GET', path: '/api/v1/landing-pages' },
    probe: { limit: 1 },
    handler: (i, ctx) =>
      ctx.tx(async (sql) => ({
        pages: (await sql.query<LandingRow>(`SELECT * FROM landing_pages ORDER BY created_at DESC LIMIT $1`, [i.limit])).rows.map((r) =>
          toLanding(r, ctx.services.baseUrl()),
        ),
      })),
  }),
];
