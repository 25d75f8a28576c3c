/**
 * crm-sync: imports customers from an external CRM export (CenterPoint-style CSV or JSON,
 * inline, a bundled fixture, or an HTTP endpoint with pagination) through the idempotent
 * upsert tool, in journaled batches with progress. No language step: this is bookkeeping.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineAgent, guardedFetch, permanent } from '../../runtime/public.ts';
import { csvRecords, prepare, toCustomer, type Conflict, type RawRecord } from './core.ts';
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
  source: source.describe('Where the export comes from'),
  batchSize: z.number().int().min(1).max(1000).default(500),
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
});

interface UpsertResult {
  inserted: number;
  updated: number;
  unchanged: number;
  conflicts: { externalId: string; reason: string }[];
}

async function load(s: z.output<typeof source>, signal: AbortSignal, allowHosts: () => Promise<string[]>): Promise<RawRecord[]> {
  if (s.kind === 'inline') return s.format === 'csv' ? csvRecords(s.data) : jsonRecords(JSON.parse(s.data));
  if (s.kind === 'fixture') {
    const file = new URL(`./fixtures/${FIXTURES[s.name]}`, import.meta.url);
    const text = await readFile(file, 'utf8');
    return file.pathname.endsWith('.csv') ? csvRecords(text) : jsonRecords(JSON.parse(text));
  }
  // HTTP: follow `next` links (or ?page=N) until an empty page. Every URL (the tenant's, its
  // `next` links and redirects) goes through the outbound guard; errors name the status only,
  // never the upstream body (a refused or failing host must not become a port scanner).
  const hosts = await allowHosts();
  const out: RawRecord[] = [];
  let url: string | null = s.url;
  for (let page = 1; url && page <= s.maxPages; page++) {
    const res = await guardedFetch(url, { signal, headers: { accept: 'application/json' }, allowHosts: hosts });
    if (!res.ok) {
      await res.body?.cancel();
      throw permanent('CRM_FETCH_FAILED', `The CRM answered HTTP ${res.status} for page ${page}.`);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw permanent('CRM_FORMAT', `The CRM's page ${page} is not JSON.`);
    }
    const items = Array.isArray(body) ? body : (body as Record<string, unknown>)[s.itemsKey];
    if (!Array.isArray(items) || items.length === 0) break;
    out.push(...(items as RawRecord[]));
    const next = Array.isArray(body) ? undefined : (body as Record<string, unknown>).next;
    url = typeof next === 'string' ? new URL(next, url).toString() : withPage(s.url, page + 1);
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
  tools: ['crm_customers_upsert', 'tenant_outbound_allow_hosts'],
  defaults: { attempts: 5 },
  async run(ctx) {
    const upsert = useTool<{ records: ReturnType<typeof toCustomer>[] }, UpsertResult>(ctx, 'crm_customers_upsert');
    let raws: RawRecord[];
    try {
      const allowHosts = async () => (await useTool<object, { allowHosts: string[] }>(ctx, 'tenant_outbound_allow_hosts')({})).allowHosts;
      raws = await load(ctx.input.source, ctx.signal, allowHosts);
    } catch (err) {
      if (err instanceof SyntaxError || (err instanceof Error && err.message.startsWith('CSV:'))) throw permanent('CRM_FORMAT', `The export cannot be read: ${err.message}`);
      throw err;
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
    return {
      rows: raws.length,
      valid: prepared.records.length,
      ...totals,
      duplicateRows: prepared.duplicates,
      conflictCount: conflicts.length,
      conflicts: conflicts.slice(0, 200),
    };
  },
});
