/**
 * crm-sync: imports customers from an external CRM export (CenterPoint-style CSV or JSON,
 * inline, a bundled fixture, or an HTTP endpoint with pagination) through the idempotent
 * upsert tool, in journaled batches with progress. No language step: this is bookkeeping.
 * Without a `source`, it reads the CRM in the business's settings (`crm_source_fetch`: the
 * stored credential stays in that tool, out of the journal). With `digest: true` (the nightly
 * default job) the owner gets a digest of the run, and of a sync that failed.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineAgent, permanent, type TaskContext } from '../../runtime/public.ts';
import { csvRecords, prepare, toCustomer, type Conflict, type RawRecord } from './core.ts';
import { DIGEST_APPROVAL, DIGEST_TOOLS, sendDigest } from '../digest.ts';
import { useTool } from '../tooling.ts';

export const FIXTURES = { 'centerpoint-1089': 'centerpoint-customers.csv', 'centerpoint-1089-json': 'centerpoint-customers.json' } as const;

const source = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('inline'), format: z.enum(['csv', 'json']), data: z.string().min(1).max(50_000_000) }),
  z.object({ kind: z.literal('fixture'), name: z.enum(Object.keys(FIXTURES) as [keyof typeof FIXTURES]) }),
  z.object({
    kind: z.literal('http'),
    url: z.url({ protocol: /^https?$/ }),
    /** Items of a page live under this key (else the page is an array). */
    itemsKey: z.string().default('customers'),
    maxPages: z.number().int().min(1).max(10_000).default(1000),
  }),
]);

export const crmSyncInput = z.object({
  source: source.optional().describe("Where the export comes from; omitted: the CRM in the business's settings"),
  batchSize: z.number().int().min(1).max(1000).default(500),
  digest: z.boolean().default(false).describe('Send the owner a digest of the run (the default schedule does)'),
});

export const crmSyncOutput = z.object({
  rows: z.number().int(),
  valid: z.number().int(),
  inserted: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  duplicateRows: z.number().int(),
  conflictCount: z.number().int(),
  conflicts: z.array(z.object({ row: z.number().int().optional(), externalId: z.string().optional(), reason: z.string(), message: z.string() })).describe('The first 200 conflicts'),
  digest: z.object({ digestId: z.string(), emailedTo: z.string().nullable() }).optional(),
});

interface UpsertResult {
  inserted: number;
  updated: number;
  unchanged: number;
  conflicts: { externalId: string; reason: string }[];
}

async function load(s: z.output<typeof source>, signal: AbortSignal): Promise<RawRecord[]> {
  if (s.kind === 'inline') return s.format === 'csv' ? csvRecords(s.data) : jsonRecords(JSON.parse(s.data));
  if (s.kind === 'fixture') {
    const file = new URL(`./fixtures/${FIXTURES[s.name]}`, import.meta.url);
    const text = await readFile(file, 'utf8');
    return file.pathname.endsWith('.csv') ? csvRecords(text) : jsonRecords(JSON.parse(text));
  }
  // HTTP: follow `next` links (or ?page=N) until an empty page.
  const out: RawRecord[] = [];
  let url: string | null = s.url;
  for (let page = 1; url && page <= s.maxPages; page++) {
    const res = await fetch(url, { signal, headers: { accept: 'application/json' } });
    if (!res.ok) throw permanent('CRM_FETCH_FAILED', `The CRM answered ${res.status} for ${url}.`);
    const body = (await res.json()) as unknown;
    const items = Array.isArray(body) ? body : (body as Record<string, unknown>)[s.itemsKey];
    if (!Array.isArray(items) || items.length === 0) break;
    out.push(...(items as RawRecord[]));
    const next = Array.isArray(body) ? undefined : (body as Record<string, unknown>).next;
    url = typeof next === 'string' ? new URL(next, url).toString() : withPage(s.url, page + 1);
  }
  return out;
}

/** The CRM in the business's settings, page by page through the tool that holds its credential. */
async function fromSettings(ctx: TaskContext): Promise<RawRecord[]> {
  const fetchPage = useTool<{ page: number; url?: string }, { records: RawRecord[]; next: string | null }>(ctx, 'crm_source_fetch');
  const out: RawRecord[] = [];
  let next: string | undefined;
  for (let page = 1; page <= 10_000; page++) {
    const r = await fetchPage({ page, ...(next ? { url: next } : {}) });
    out.push(...r.records);
    if (!r.next || r.records.length === 0) break;
    next = r.next;
  }
  return out;
}

function withPage(url: string, page: number): string {
  const u = new URL(url);
  u.searchParams.set('page', String(page));
  return u.toString();
}

function jsonRecords(v: unknown): RawRecord[] {
  const items = Array.isArray(v) ? v : (v as Record<string, unknown>)?.customers;
  if (!Array.isArray(items)) throw permanent('CRM_FORMAT', 'A JSON export must be an array of customers or {"customers": [...]}.');
  return items as RawRecord[];
}

export default defineAgent({
  name: 'crm-sync',
  description: 'Imports customers from an external CRM export (CenterPoint-style CSV/JSON or a paginated HTTP endpoint): idempotent upserts by external id, change detection, a conflict report.',
  version: '1.0.0',
  input: crmSyncInput,
  output: crmSyncOutput,
  tools: ['crm_customers_upsert', 'crm_source_fetch', ...DIGEST_TOOLS],
  approvals: [DIGEST_APPROVAL],
  defaults: { attempts: 5 },
  async run(ctx) {
    const upsert = useTool<{ records: ReturnType<typeof toCustomer>[] }, UpsertResult>(ctx, 'crm_customers_upsert');
    let raws: RawRecord[];
    try {
      raws = ctx.input.source ? await load(ctx.input.source, ctx.signal) : await fromSettings(ctx);
    } catch (err) {
      const e = err instanceof SyntaxError || (err instanceof Error && err.message.startsWith('CSV:')) ? permanent('CRM_FORMAT', `The export cannot be read: ${err.message}`) : err;
      // A sync that cannot run is news for the owner (when nothing will retry it).
      const final = (e as { retryable?: boolean }).retryable === false || (e as { code?: string }).code?.startsWith('CRM_');
      if (ctx.input.digest && final)
        await sendDigest(ctx, { title: 'CRM sync failed', body: `Tonight's CRM sync failed and imported nothing: ${(e as Error).message}`, facts: [] });
      throw e;
    }
    const prepared = prepare(raws);
    await ctx.progress(5, `${raws.length} rows read, ${prepared.records.length} valid`);
    const totals = { inserted: 0, updated: 0, unchanged: 0 };
    const conflicts: (Conflict | { externalId: string; reason: string; message: string })[] = [...prepared.conflicts];
    const size = ctx.input.batchSize;
    const batches = Math.ceil(prepared.records.length / size);
    for (let b = 0; b < batches; b++) {
      const slice = prepared.records.slice(b * size, (b + 1) * size).map(toCustomer);
      // Each call is a journaled step: a retried import replays finished batches.
      const r = await upsert({ records: slice });
      totals.inserted += r.inserted;
      totals.updated += r.updated;
      totals.unchanged += r.unchanged;
      conflicts.push(...r.conflicts.map((c) => ({ ...c, message: `Customer ${c.externalId}: ${c.reason}` })));
      if (b % Math.max(1, Math.floor(batches / 20)) === 0 || b === batches - 1) {
        await ctx.progress(5 + (95 * (b + 1)) / batches, `batch ${b + 1} of ${batches}`);
      }
    }
    ctx.logger.info('import finished', { ...totals, conflicts: conflicts.length });
    const digest = ctx.input.digest
      ? await sendDigest(ctx, {
          title: `CRM sync: ${totals.inserted} new, ${totals.updated} updated, ${conflicts.length} conflict(s)`,
          body: `The CRM sync read ${raws.length} record(s): ${totals.inserted} new customer(s), ${totals.updated} updated and ${totals.unchanged} unchanged.${conflicts.length ? ` ${conflicts.length} record(s) could not be imported; the first are listed below.` : ' Every record was imported.'}`,
          facts: conflicts.slice(0, 10).map((c) => c.message),
        })
      : undefined;
    return {
      ...(digest ? { digest } : {}),
      rows: raws.length,
      valid: prepared.records.length,
      ...totals,
      duplicateRows: prepared.duplicates,
      conflictCount: conflicts.length,
      conflicts: conflicts.slice(0, 200),
    };
  },
});
