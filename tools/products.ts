/**
 * Products and the public FAQ: what the public website lists and what the public assistant
 * answers from.
 * @module
 */
import { z } from 'zod';
import { label, readableText } from '../runtime/text.ts';
import type { AnyTool } from '../runtime/tools.ts';
import { MAX_CHECKOUT_USD } from './money.ts';
import { businessTool } from './services.ts';
import { num, usd } from './util.ts';

export const productRecord = z.object({
  id: z.string(),
  sku: z.string(),
  name: z.string(),
  description: z.string(),
  priceUsd: z.number(),
  interval: z.enum(['one_time', 'month', 'year']),
  public: z.boolean(),
});

interface Row {
  id: string;
  sku: string;
  name: string;
  description: string;
  price_usd: string;
  interval: 'one_time' | 'month' | 'year';
  public: boolean;
}

export const toProduct = (r: Row): z.output<typeof productRecord> => ({
  id: r.id,
  sku: r.sku,
  name: r.name,
  description: r.description,
  priceUsd: num(r.price_usd),
  interval: r.interval,
  public: r.public,
});

/** Questions the public assistant can answer without a model (and grounds a model in). */
export const FAQ: { q: string; a: string; keywords: string[] }[] = [
  {
    q: 'How much does a new roof cost?',
    a: 'Most homes cost between $8,000 and $20,000 depending on size, pitch and material. Ask for a free estimate and we will price your roof exactly.',
    keywords: ['cost', 'price', 'much', 'expensive', 'quote'],
  },
  {
    q: 'How do I get an estimate?',
    a: 'Send us your roof area (or address) and preferred material through the form on this site; an estimate comes back with good, better and best options.',
    keywords: ['estimate', 'quote', 'measure', 'inspection'],
  },
  {
    q: 'Which materials do you install?',
    a: 'Three-tab and architectural asphalt shingles, standing-seam metal and tile.',
    keywords: ['material', 'shingle', 'metal', 'tile', 'asphalt'],
  },
  {
    q: 'Is there a warranty?',
    a: 'Materials carry the manufacturer warranty (25 to 50 years depending on material) and our workmanship is covered for 10 years.',
    keywords: ['warranty', 'guarantee'],
  },
  {
    q: 'How long does a replacement take?',
    a: 'Most residential roofs are replaced in one to three days, weather permitting.',
    keywords: ['long', 'time', 'days', 'schedule', 'when'],
  },
];

/** The reply without a model: the best-matching FAQ answer and the offers the question names. Finished text. */
export function faqReply(message: string, products: { name: string; priceUsd: number; interval: string }[]): string {
  const words = new Set(message.toLowerCase().match(/[a-z]+/g) ?? []);
  const best = FAQ.map((f) => ({ f, hits: f.keywords.filter((k) => words.has(k)).length })).sort((a, b) => b.hits - a.hits)[0];
  const parts = [
    best && best.hits > 0
      ? best.f.a
      : 'Thanks for your message! For anything about your roof, the quickest route is a free estimate: leave your details on this site and we will get back to you.',
  ];
  const mentioned = products.filter((p) =>
    p.name
      .toLowerCase()
      .split(/\s+/)
      .some((w) => w.length > 3 && words.has(w)),
  );
  if (mentioned.length || words.has('products') || words.has('offer') || words.has('services')) {
    const list = (mentioned.length ? mentioned : products)
      .slice(0, 5)
      .map((p) => `${p.name} ($${p.priceUsd}${p.interval === 'one_time' ? '' : `/${p.interval}`})`);
    if (list.length) parts.push(`Our offers: ${list.join(', ')}.`);
  }
  return parts.join(' ');
}

export const productTools: AnyTool[] = [
  businessTool({
    name: 'products_public_list',
    description: 'The products shown on the public website.',
    input: z.object({}),
    output: z.object({ products: z.array(productRecord) }),
    scope: 'public',
    route: { method: 'GET', path: '/api/v1/products/public' },
    probe: {},
    handler: (_i, ctx) =>
      ctx.tx(async (sql) => ({
        products: (await sql.query<Row>(`SELECT * FROM products WHERE public ORDER BY price_usd, name`)).rows.map(toProduct),
      })),
  }),
  businessTool({
    name: 'products_list',
    description: 'Every product of this business, public or not.',
    input: z.object({}),
    output: z.object({ products: z.array(productRecord) }),
    scope: 'read',
    route: { method: 'GET', path: '/api/v1/products' },
    probe: {},
    handler: (_i, ctx) =>
      ctx.tx(async (sql) => ({ products: (await sql.query<Row>(`SELECT * FROM products ORDER BY price_usd, name`)).rows.map(toProduct) })),
  }),
  businessTool({
    name: 'product_upsert',
    description: 'Create or update a product by SKU.',
    input: z
      .object({
        sku: z
          .string()
          .trim()
          .regex(/^[A-Za-z0-9_.-]{1,60}$/, 'sku must be letters, digits, _ . or -'),
        name: label(200),
        description: readableText(5000).optional().describe('Shown on the public product list; omitted: none'),
        // A price above what one payment link can charge could be listed but never paid.
        priceUsd: usd(0, 10_000_000).refine(
          (v) => v <= MAX_CHECKOUT_USD,
          `must be at most $${MAX_CHECKOUT_USD.toLocaleString('en-US')}, the most one payment link can charge (Stripe's maximum): split a larger price into products`,
        ),
        interval: z.enum(['one_time', 'month', 'year']).default('one_time'),
        public: z.boolean().default(true),
      })
      .strict(),
    output: z.object({ product: productRecord }),
    scope: 'write',
    sideEffect: true,
    audit: {
      action: 'product.saved',
      subject: (_i, o) => `product:${o.product.id}`,
      details: (i) => ({ sku: i.sku, priceUsd: i.priceUsd, public: i.public }),
    },
    route: { method: 'PUT', path: '/api/v1/products' },
    handler: (i, ctx) =>
      ctx.tx(async (sql) => {
        const r = await sql.query<Row>(
          `INSERT INTO products (tenant_id, sku, name, description, price_usd, interval, public) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (tenant_id, sku) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, price_usd = EXCLUDED.price_usd,
             interval = EXCLUDED.interval, public = EXCLUDED.public, updated_at = now()
           RETURNING *`,
          [ctx.tenantId, i.sku, i.name, i.description ?? '', i.priceUsd, i.interval, i.public],
        );
        return { product: toProduct(r.rows[0]!) };
      }),
  }),
];
