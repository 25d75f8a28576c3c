/**
 * crm-sync: imports customers from an external CRM export (CenterPoint-style CSV or JSON,
 * inline, uploaded through POST /api/v1/crm/imports, a bundled fixture, or an HTTP endpoint
 * with pagination) through the idempotent upsert tool, in journaled batches with progress.
 * CSV exports as spreadsheets write them: separator and encoding detected, cell quirks
 * unwrapped, day-first or month-first dates read from the column (core.ts, cells.ts); phone numbers are
 * normalised by the upsert tool in the tenant's phone region. The report groups every warning
 * by kind with examples; a non-empty export that imports nothing fails with a sentence saying
 * why (CRM_IMPORT_EMPTY). No language step: this is bookkeeping.
 * Without a `source`, it reads the CRM in the business's settings (`crm_source_fetch`: the
 * stored credential stays in that tool, out of the journal). With `digest: true` (the nightly
 * default job) the owner gets a digest of the run, and of a sync that failed.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AppError, defineAgent, guardedFetch, outboundUrl, permanent, type ToolsOf } from '../../runtime/public.ts';
import { crmSourceFetch } from '../../tools/settings.ts';
import { DIGEST_APPROVAL, DIGEST_TOOLS, sendDigest } from '../digest.ts';
import { mapHeader, prepare, readCsv, toCustomer, type Conflict, type ImportWarning, type RawRecord } from './core.ts';
import { decodeExport, DELIMITERS, type Delimiter, type Encoding } from './csv.ts';
import { groupWarnings, whyNothing } from './report.ts';
import { useTool } from '../tooling.ts';
import { count } from '../text.ts';

export const FIXTURES = { 'centerpoint-1089': 'centerpoint-customers.csv', 'centerpoint-1089-json': 'centerpoint-customers.json' } as const;

/** Largest inline export (characters): it travels inside a JSON request body (BODY_LIMIT, 2 MB by default). */
export const INLINE_MAX_CHARS = 1_000_000;

const source = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('inline'),
    format: z.enum(['csv', 'json']),
    data: z
      .string()
      .min(1)
      .max(INLINE_MAX_CHARS)
      .describe('The export itself, up to 1,000,000 characters; larger files go to POST /api/v1/crm/imports as text/csv'),
  }),
  z.object({ kind: z.literal('upload'), uploadId: z.uuid().describe('An export stored by POST /api/v1/crm/imports') }),
  z.object({ kind: z.literal('fixture'), name: z.enum(Object.keys(FIXTURES) as [keyof typeof FIXTURES]) }),
  z.object({
    kind: z.literal('http'),
    url: outboundUrl,
    /** Items of a page live under this key (else the page is an array). */
    itemsKey: z.string().default('customers'),
    maxPages: z.number().int().min(1).max(10_000).default(1000),
  }),
]);

export const crmSyncInput = z.object({
  source: source.optional().describe("Where the export comes from; omitted: the CRM in the business's settings"),
  batchSize: z.number().int().min(1).max(1000).default(500),
  digest: z.boolean().default(false).describe('Send the owner a digest of the run (the default schedule does)'),
  dateOrder: z
    .enum(['dmy', 'mdy'])
    .optional()
    .describe(
      'Day-first (dmy) or month-first (mdy) for a date column whose values fit both; a column that proves its order (13/02/2021) is read as it says',
    ),
});

const warningGroup = z.object({
  kind: z
    .string()
    .describe('phone_no_country_code, phone_invalid, email_invalid, date_ambiguous, date_invalid, date_order_mixed, amount_invalid'),
  count: z.number().int(),
  examples: z.array(
    z.object({ row: z.number().int().optional(), externalId: z.string().optional(), value: z.string().optional(), message: z.string() }),
  ),
});

export const crmSyncOutput = z.object({
  rows: z.number().int(),
  valid: z.number().int(),
  inserted: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  duplicateRows: z.number().int(),
  conflictCount: z.number().int(),
  conflicts: z
    .array(z.object({ row: z.number().int().optional(), externalId: z.string().optional(), reason: z.string(), message: z.string() }))
    .describe('The first 200 conflicts'),
  warningCount: z.number().int().describe('Values imported or left out with a warning'),
  warnings: z.array(warningGroup).describe('Every warning kind, most frequent first, with up to five examples each'),
  file: z
    .object({
      format: z.enum(['csv', 'json']),
      encoding: z.string().optional().describe('How the bytes were decoded (uploads and fixtures)'),
      delimiter: z.enum(['comma', 'semicolon', 'tab', 'pipe']).optional(),
      columns: z.record(z.string(), z.string()).describe('Header → the field it was read as'),
      ignoredColumns: z.array(z.string()),
      dateOrder: z.object({ order: z.enum(['dmy', 'mdy']), decidedBy: z.enum(['column', 'option']) }).optional(),
    })
    .describe('How the export was read'),
  phoneRegion: z.string().optional().describe('The region national phone numbers were read in (the tenant setting)'),
  digest: z.object({ digestId: z.string(), emailedTo: z.string().nullable() }).optional(),
});

interface UpsertResult {
  inserted: number;
  updated: number;
  unchanged: number;
  conflicts: { externalId: string; reason: string }[];
  warnings?: { externalId: string; kind: string; message: string }[];
  phoneRegion?: string;
}

interface UploadSlice {
  encoding: string;
  text: string;
  nextOffset: number | null;
}

interface Loaded {
  format: 'csv' | 'json';
  records: RawRecord[];
  header: string[];
  delimiter?: Delimiter;
  encoding?: Encoding | string;
  /** What reading a CSV file noticed (tools/crm-sync/core.ts readCsv). */
  warnings?: ImportWarning[];
}

function fromCsv(text: string, encoding?: string): Loaded {
  const f = readCsv(text);
  return {
    format: 'csv',
    records: f.records,
    header: f.header,
    delimiter: f.delimiter,
    warnings: f.warnings,
    ...(encoding ? { encoding } : {}),
  };
}

function fromJson(v: unknown): Loaded {
  const items = Array.isArray(v) ? v : (v as Record<string, unknown>)?.customers;
  if (!Array.isArray(items)) throw permanent('CRM_FORMAT', 'A JSON export must be an array of customers or {"customers": [...]}.');
  const first = items[0];
  return { format: 'json', records: items as RawRecord[], header: first && typeof first === 'object' ? Object.keys(first) : [] };
}

// CRM tools are built by a factory (tools/crm.ts): named; the settings source and digests by handle.
const CRM_SYNC_TOOLS = [
  'crm_customers_upsert',
  'crm_import_upload_read',
  'tenant_outbound_allow_hosts',
  crmSourceFetch,
  ...DIGEST_TOOLS,
] as const;
type SyncTools = ToolsOf<typeof CRM_SYNC_TOOLS>;

async function load(ctx: { input: z.output<typeof crmSyncInput>; signal: AbortSignal; tools: SyncTools; agent: string }): Promise<Loaded> {
  const s = ctx.input.source;
  if (!s) return fromJson(await fromSettings(ctx));
  if (s.kind === 'inline') return s.format === 'csv' ? fromCsv(s.data) : fromJson(JSON.parse(s.data));
  if (s.kind === 'upload') {
    const read = useTool<{ id: string; offset: number }, UploadSlice>(ctx, 'crm_import_upload_read');
    const parts: string[] = [];
    let offset: number | null = 0;
    let encoding = '';
    while (offset !== null) {
      const slice: UploadSlice = await read({ id: s.uploadId, offset });
      parts.push(slice.text);
      encoding = slice.encoding;
      offset = slice.nextOffset;
    }
    return fromCsv(parts.join(''), encoding);
  }
  if (s.kind === 'fixture') {
    const file = new URL(`./fixtures/${FIXTURES[s.name]}`, import.meta.url);
    const { text, encoding } = decodeExport(await readFile(file));
    return file.pathname.endsWith('.csv') ? fromCsv(text, encoding) : fromJson(JSON.parse(text));
  }
  // HTTP: follow `next` links (or ?page=N) until an empty page. Every URL (the tenant's, its
  // `next` links and redirects) goes through the outbound guard; errors name the status only,
  // never the upstream body (a refused or failing host must not become a port scanner).
  const hosts = (await useTool<object, { allowHosts: string[] }>(ctx, 'tenant_outbound_allow_hosts')({})).allowHosts;
  const out: RawRecord[] = [];
  let url: string | null = s.url;
  for (let page = 1; url && page <= s.maxPages; page++) {
    const res = await guardedFetch(url, { signal: ctx.signal, headers: { accept: 'application/json' }, allowHosts: hosts });
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
  return fromJson(out);
}

/** The CRM in the business's settings, page by page through the tool that holds its credential. */
async function fromSettings(ctx: { tools: SyncTools }): Promise<RawRecord[]> {
  const fetchPage = ctx.tools.crm_source_fetch;
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

export default defineAgent({
  name: 'crm-sync',
  description:
    'Imports customers from an external CRM export (CSV as spreadsheets write it, JSON, an uploaded file or a paginated HTTP endpoint): idempotent upserts by external id, change detection, a conflict and warning report.',
  version: '1.1.0',
  input: crmSyncInput,
  output: crmSyncOutput,
  tools: CRM_SYNC_TOOLS,
  approvals: [DIGEST_APPROVAL],
  defaults: { attempts: 5 },
  // An upload that is not stored (a mistyped id, another business's, or one deleted) is refused
  // when the import is asked for, not accepted to fail.
  async validate(input, ctx) {
    const s = input.source;
    if (s?.kind !== 'upload') return;
    const read = useTool<{ id: string; length: number }, UploadSlice>(ctx, 'crm_import_upload_read');
    await read({ id: s.uploadId, length: 1 }).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'NOT_FOUND')
        throw permanent(
          'UPLOAD_NOT_FOUND',
          `No upload '${s.uploadId}' is stored for this business: send the export to POST /api/v1/crm/imports, which stores it and starts its import.`,
          { uploadId: s.uploadId },
        );
      throw err;
    });
  },
  async run(ctx) {
    const upsert = useTool<{ records: ReturnType<typeof toCustomer>[] }, UpsertResult>(ctx, 'crm_customers_upsert');
    let loaded: Loaded;
    try {
      loaded = await load(ctx);
    } catch (err) {
      const e =
        err instanceof SyntaxError || (err instanceof Error && err.message.startsWith('CSV:'))
          ? permanent('CRM_FORMAT', `The export cannot be read: ${err.message}`)
          : err;
      // A sync that cannot run is news for the owner (when nothing will retry it).
      const final = (e as { retryable?: boolean }).retryable === false || (e as { code?: string }).code?.startsWith('CRM_');
      if (ctx.input.digest && final)
        await sendDigest(ctx, {
          title: 'CRM sync failed',
          body: `The CRM sync failed and imported nothing: ${(e as Error).message}`,
          facts: [],
        });
      throw e;
    }
    await ctx.progress(3, `${loaded.records.length} rows read`);
    const prepared = prepare(loaded.records, {
      ...(ctx.input.dateOrder ? { dateOrder: ctx.input.dateOrder } : {}),
      decimalComma: loaded.delimiter === ';',
    });
    const why = whyNothing(loaded, loaded.records.length, prepared);
    // An HTTP or JSON source with no customers is an empty CRM, not a failure; a CSV export always has rows.
    if (why && (loaded.format === 'csv' || loaded.records.length > 0)) throw permanent('CRM_IMPORT_EMPTY', why);
    await ctx.progress(5, `${loaded.records.length} rows read, ${prepared.records.length} valid`);
    const rowOf = new Map(prepared.records.map((r) => [r.externalId, r.row]));
    const totals = { inserted: 0, updated: 0, unchanged: 0 };
    const conflicts: (Conflict | { externalId: string; reason: string; message: string })[] = [...prepared.conflicts];
    const warnings: ImportWarning[] = [...(loaded.warnings ?? []), ...prepared.warnings];
    // The upsert checks some of what reading the file already checked (an email that is no
    // address): the same warning of the same customer is reported once.
    const known = new Set(warnings.map((w) => `${w.kind}\u0000${w.externalId ?? ''}`));
    let phoneRegion: string | undefined;
    const size = ctx.input.batchSize;
    const batches = Math.ceil(prepared.records.length / size);
    for (let b = 0; b < batches; b++) {
      const slice = prepared.records.slice(b * size, (b + 1) * size).map(toCustomer);
      // Each call is a journaled step: a retried import replays finished batches.
      const r = await upsert({ records: slice });
      totals.inserted += r.inserted;
      totals.updated += r.updated;
      totals.unchanged += r.unchanged;
      phoneRegion = r.phoneRegion ?? phoneRegion;
      conflicts.push(...r.conflicts.map((c) => ({ ...c, message: `Customer ${c.externalId}: ${c.reason}` })));
      for (const w of r.warnings ?? [])
        if (!known.has(`${w.kind}\u0000${w.externalId}`))
          warnings.push({
            kind: w.kind,
            externalId: w.externalId,
            ...(rowOf.get(w.externalId) ? { row: rowOf.get(w.externalId)! } : {}),
            message: w.message,
          });
      if (b % Math.max(1, Math.floor(batches / 20)) === 0 || b === batches - 1) {
        await ctx.progress(5 + (95 * (b + 1)) / batches, `batch ${b + 1} of ${batches}`);
      }
    }
    const columns = mapHeader(loaded.header);
    ctx.logger.info('import finished', { ...totals, conflicts: conflicts.length, warnings: warnings.length });
    const digest = ctx.input.digest
      ? await sendDigest(ctx, {
          title: `CRM sync: ${totals.inserted} new, ${totals.updated} updated, ${count(conflicts.length, 'conflict')}`,
          body: `The CRM sync read ${count(loaded.records.length, 'record')}: ${count(totals.inserted, 'new customer')}, ${totals.updated} updated and ${totals.unchanged} unchanged.${conflicts.length ? ` ${count(conflicts.length, 'record')} could not be imported; the first are listed below.` : ' Every record was imported.'}${warnings.length ? ` ${count(warnings.length, 'value')} came with a warning.` : ''}`,
          facts: conflicts.slice(0, 10).map((c) => c.message),
        })
      : undefined;
    return {
      ...(digest ? { digest } : {}),
      rows: loaded.records.length,
      valid: prepared.records.length,
      ...totals,
      duplicateRows: prepared.duplicates,
      conflictCount: conflicts.length,
      conflicts: conflicts.slice(0, 200),
      warningCount: warnings.length,
      warnings: groupWarnings(warnings),
      file: {
        format: loaded.format,
        ...(loaded.encoding ? { encoding: loaded.encoding } : {}),
        ...(loaded.delimiter ? { delimiter: DELIMITERS[loaded.delimiter] } : {}),
        columns,
        ignoredColumns: loaded.header.filter((h) => !(h in columns)),
        ...(prepared.dateOrder ? { dateOrder: prepared.dateOrder } : {}),
      },
      ...(phoneRegion ? { phoneRegion } : {}),
    };
  },
});
