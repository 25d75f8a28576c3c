/**
 * CRM: customers, contacts and jobs — full CRUD, search (`q` over name, email, phone,
 * address and external id), cursor pagination, soft validation of emails and phones, and an idempotent bulk
 * upsert keyed by external id (the CRM sync). One factory, three entities.
 * @module
 */
import { z } from 'zod';
import { label, readableText } from '../runtime/text.ts';
import type { Sql } from '../runtime/db/driver.ts';
import { notFound } from '../runtime/errors.ts';
import { readOutboundAllowHosts } from '../runtime/guardrails/tenants.ts';
import type { AnyTool } from '../runtime/tools.ts';
import { businessTool } from './services.ts';
import { cursor, id, iso, limit, mustExist, newestFirst, q, softContact, tenantPhoneRegion, usd } from './util.ts';
import type { CountryCode } from 'libphonenumber-js';

type Kind = 'text' | 'uuid' | 'numeric' | 'timestamp';
interface Extra {
  key: string;
  column: string;
  kind: Kind;
  input: z.ZodType;
  /** Another table the value must exist in (checked under RLS: never another tenant's row). */
  ref?: { table: string; what: string };
}

interface Entity {
  singular: string;
  plural: string;
  table: string;
  extras: Extra[];
}

/** Optional text a person reads back: null clears it. */
const text = (max: number) => readableText(max).nullable().optional();
/** An optional one-line label: null clears it. */
const line = (max: number) => label(max).nullable().optional();
const customerRef: Extra = {
  key: 'customerId',
  column: 'customer_id',
  kind: 'uuid',
  input: id.nullable().optional(),
  ref: { table: 'customers', what: 'Customer' },
};

const ENTITIES: Entity[] = [
  {
    singular: 'customer',
    plural: 'customers',
    table: 'customers',
    extras: [{ key: 'notes', column: 'notes', kind: 'text', input: text(5000) }],
  },
  {
    singular: 'contact',
    plural: 'contacts',
    table: 'contacts',
    extras: [customerRef, { key: 'role', column: 'role', kind: 'text', input: line(100) }],
  },
  {
    singular: 'job',
    plural: 'jobs',
    table: 'jobs',
    extras: [
      customerRef,
      {
        key: 'status',
        column: 'status',
        kind: 'text',
        input: z.enum(['open', 'scheduled', 'in_progress', 'done', 'cancelled']).optional(),
      },
      { key: 'valueUsd', column: 'value_usd', kind: 'numeric', input: usd(0, 100_000_000).nullable().optional() },
      { key: 'scheduledFor', column: 'scheduled_for', kind: 'timestamp', input: z.iso.datetime({ offset: true }).nullable().optional() },
    ],
  },
];

const BASE = [
  { key: 'externalId', column: 'external_id', kind: 'text' as Kind },
  { key: 'name', column: 'name', kind: 'text' as Kind },
  { key: 'email', column: 'email', kind: 'text' as Kind },
  { key: 'phone', column: 'phone', kind: 'text' as Kind },
  { key: 'phoneExtension', column: 'phone_extension', kind: 'text' as Kind },
  { key: 'address', column: 'address', kind: 'text' as Kind },
];

const OUT_KIND: Record<Kind, z.ZodType> = {
  text: z.string().nullable(),
  uuid: z.string().nullable(),
  numeric: z.number().nullable(),
  timestamp: z.string().nullable(),
};

function shapes(e: Entity) {
  const writable = {
    externalId: z.string().trim().min(1).max(200).nullable().optional(),
    name: label(300),
    email: z.string().max(320).nullable().optional().describe('Kept even when malformed, with a warning'),
    phone: z
      .string()
      .max(50)
      .nullable()
      .optional()
      .describe(
        "Normalised to E.164 when valid (national numbers read in the tenant's phone region, PATCH /api/v1/tenant); kept with a warning otherwise",
      ),
    phoneExtension: z
      .string()
      .trim()
      .max(20)
      .nullable()
      .optional()
      .describe('Extension, apart from the number; split off the phone when it carries one ("x204")'),
    address: text(500),
    ...Object.fromEntries(e.extras.map((x) => [x.key, x.input])),
  };
  const record: z.ZodType<Record<string, unknown>> = z.object({
    id: z.string(),
    ...Object.fromEntries([...BASE, ...e.extras].map((f) => [f.key, f.key === 'name' ? z.string() : OUT_KIND[f.kind]])),
    warnings: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  });
  return { create: z.object(writable).strict(), update: z.object({ id, ...z.object(writable).partial().shape }).strict(), record };
}

type Row = Record<string, unknown> & { id: string; created_at: Date; updated_at: Date; warnings: string[] };

function toRecord(e: Entity, r: Row): Record<string, unknown> {
  const out: Record<string, unknown> = { id: r.id };
  for (const f of [...BASE, ...e.extras]) {
    const v = r[f.column];
    out[f.key] = v == null ? null : f.kind === 'numeric' ? Number(v) : f.kind === 'timestamp' ? iso(v as Date) : v;
  }
  return { ...out, warnings: r.warnings ?? [], createdAt: iso(r.created_at), updatedAt: iso(r.updated_at) };
}

/** Column values for an insert/update from validated input (only the keys present). */
async function columns(
  sql: Sql,
  e: Entity,
  input: Record<string, unknown>,
  region: CountryCode,
): Promise<{ cols: Record<string, unknown>; warnings: string[]; issues: { kind: string; message: string }[] }> {
  const soft = softContact(
    {
      email: input.email as string | null | undefined,
      phone: input.phone as string | null | undefined,
      phoneExtension: input.phoneExtension as string | null | undefined,
    },
    region,
  );
  const cols: Record<string, unknown> = {};
  const merged: Record<string, unknown> = {
    ...input,
    ...('email' in input ? { email: soft.email } : {}),
    ...('phone' in input ? { phone: soft.phone } : {}),
    ...(soft.phoneExtension !== undefined ? { phoneExtension: soft.phoneExtension } : {}),
  };
  for (const f of [...BASE, ...e.extras]) if (f.key in merged && merged[f.key] !== undefined) cols[f.column] = merged[f.key];
  for (const x of e.extras) if (x.ref && cols[x.column]) await mustExist(sql, x.ref.table, x.ref.what, cols[x.column] as string);
  return { cols, warnings: soft.warnings, issues: soft.issues };
}

function crud(e: Entity): AnyTool[] {
  const { create, update, record } = shapes(e);
  const S = e.singular;
  const P = e.plural;
  const base = `/api/v1/crm/${P}`;
  const Title = S[0]!.toUpperCase() + S.slice(1);
  const one: z.ZodType<Record<string, unknown>> = z.object({ [S]: record });
  const written: z.ZodType<Record<string, unknown>> = z.object({ [S]: record, warnings: z.array(z.string()) });

  return [
    businessTool({
      name: `crm_${P}_list`,
      description: `List ${P}, newest first; q searches name, email, phone, address and external id (the id in the system they came from).`,
      input: z.object({ q, limit, cursor }),
      output: z.object({ [P]: z.array(record), nextCursor: z.string().nullable() }) as z.ZodType<Record<string, unknown>>,
      scope: 'read',
      route: { method: 'GET', path: base },
      probe: { limit: 1 },
      handler: (i, ctx) =>
        ctx.tx(async (sql) => {
          const like = i.q ? `%${i.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : null;
          const p = await newestFirst<Row>(sql, i, {
            select: `SELECT * FROM ${e.table}`,
            where: ['($1::text IS NULL OR name ILIKE $1 OR email ILIKE $1 OR phone ILIKE $1 OR address ILIKE $1 OR external_id ILIKE $1)'],
            params: [like],
          });
          return { [P]: p.rows.map((row) => toRecord(e, row)), nextCursor: p.nextCursor };
        }),
    }),
    businessTool({
      name: `crm_${S}_get`,
      description: `One ${S} by id.`,
      input: z.object({ id }),
      output: one,
      scope: 'read',
      route: { method: 'GET', path: `${base}/:id` },
      handler: (i, ctx) =>
        ctx.tx(async (sql) => {
          const r = await sql.query<Row>(`SELECT * FROM ${e.table} WHERE id = $1`, [i.id]);
          if (!r.rows[0]) throw notFound(Title, i.id);
          return { [S]: toRecord(e, r.rows[0]) };
        }),
    }),
    businessTool({
      name: `crm_${S}_create`,
      description: `Create a ${S}. Malformed emails/phones are kept and reported in warnings.`,
      input: create,
      output: written,
      scope: 'write',
      sideEffect: true,
      audit: { action: `crm.${S}_created`, subject: (_i, o) => `${S}:${rowOf(o, S).id}`, details: (_i, o) => linkOf(rowOf(o, S), S) },
      route: { method: 'POST', path: base, status: 201 },
      handler: (i, ctx) =>
        ctx.tx(async (sql) => {
          const { cols, warnings } = await columns(sql, e, i, await tenantPhoneRegion(sql, ctx.tenantId));
          const names = ['tenant_id', 'warnings', ...Object.keys(cols)];
          const values = [ctx.tenantId, JSON.stringify(warnings), ...Object.values(cols)];
          const r = await sql.query<Row>(
            `INSERT INTO ${e.table} (${names.join(', ')}) VALUES (${names.map((_, n) => `$${n + 1}`).join(', ')}) RETURNING *`,
            values,
          );
          return { [S]: toRecord(e, r.rows[0]!), warnings };
        }),
    }),
    businessTool({
      name: `crm_${S}_update`,
      description: `Change some fields of a ${S}.`,
      input: update,
      output: written,
      scope: 'write',
      sideEffect: true,
      audit: {
        action: `crm.${S}_updated`,
        subject: (i) => `${S}:${i.id}`,
        details: (i, o) => ({ ...linkOf(rowOf(o, S), S), fields: Object.keys(i).filter((k) => k !== 'id') }),
      },
      route: { method: 'PATCH', path: `${base}/:id` },
      handler: ({ id: rowId, ...rest }, ctx) =>
        ctx.tx(async (sql) => {
          await mustExist(sql, e.table, Title, rowId);
          const { cols, warnings } = await columns(sql, e, rest, await tenantPhoneRegion(sql, ctx.tenantId));
          const sets = Object.keys(cols).map((c, n) => `${c} = $${n + 2}`);
          const r = await sql.query<Row>(
            `UPDATE ${e.table} SET ${[...sets, 'updated_at = now()', ...('email' in rest || 'phone' in rest ? [`warnings = $${sets.length + 2}`] : [])].join(', ')}
             WHERE id = $1 RETURNING *`,
            [rowId, ...Object.values(cols), ...('email' in rest || 'phone' in rest ? [JSON.stringify(warnings)] : [])],
          );
          return { [S]: toRecord(e, r.rows[0]!), warnings };
        }),
    }),
    businessTool({
      name: `crm_${S}_delete`,
      description: `Delete a ${S}.`,
      input: z.object({ id }),
      output: z.object({ deleted: z.literal(true), id: z.string() }),
      scope: 'write',
      sideEffect: true,
      audit: {
        action: `crm.${S}_deleted`,
        subject: (i) => `${S}:${i.id}`,
        ...(S === 'customer' ? { details: (i) => ({ customerId: i.id }) } : {}),
      },
      route: { method: 'DELETE', path: `${base}/:id` },
      handler: (i, ctx) =>
        ctx.tx(async (sql) => {
          const r = await sql.query(`DELETE FROM ${e.table} WHERE id = $1`, [i.id]);
          if (!r.rowCount) throw notFound(Title, i.id);
          return { deleted: true as const, id: i.id };
        }),
    }),
    upsertTool(e, create),
  ];
}

/**
 * Bulk upsert keyed by external id: inserts new, updates changed, leaves identical ones alone.
 * One look-up of the batch's ids and one multi-row insert per call; an update per changed row.
 * `warnings` lists each record's soft-validation issues (kind and sentence).
 */
function upsertTool(e: Entity, create: z.ZodObject): AnyTool {
  const rec = create.extend({
    externalId: z.string().trim().min(1).max(200),
    ...(e.table === 'customers' ? {} : { customerExternalId: z.string().min(1).max(200).optional() }),
  });
  return businessTool({
    name: `crm_${e.plural}_upsert`,
    description: `Idempotent bulk upsert of ${e.plural} keyed by externalId (the CRM sync): reports inserted, updated, unchanged, conflicts and per-record warnings.`,
    input: z.object({ records: z.array(rec).min(1).max(1000) }),
    output: z.object({
      inserted: z.number(),
      updated: z.number(),
      unchanged: z.number(),
      conflicts: z.array(z.object({ externalId: z.string(), reason: z.string() })),
      warnings: z
        .array(z.object({ externalId: z.string(), kind: z.string(), message: z.string() }))
        .describe('Values kept with a warning (phone_invalid, phone_no_country_code, email_invalid)'),
      phoneRegion: z.string().describe('The region national phone numbers were read in'),
    }),
    scope: 'write',
    sideEffect: true,
    audit: {
      action: `crm.${e.plural}_upserted`,
      subject: () => `crm:${e.plural}`,
      details: (i, o) => ({
        records: i.records.length,
        inserted: o.inserted,
        updated: o.updated,
        unchanged: o.unchanged,
        conflicts: o.conflicts.length,
      }),
    },
    route: { method: 'POST', path: `/api/v1/crm/${e.plural}/upsert` },
    handler: (i, ctx) =>
      ctx.tx(async (sql) => {
        const region = await tenantPhoneRegion(sql, ctx.tenantId);
        const result = {
          inserted: 0,
          updated: 0,
          unchanged: 0,
          conflicts: [] as { externalId: string; reason: string }[],
          warnings: [] as { externalId: string; kind: string; message: string }[],
          phoneRegion: region as string,
        };
        const byKey = new Map<string, string>();
        const dupes = new Set<string>();
        for (const r of i.records as { externalId: string }[]) {
          const json = JSON.stringify(r);
          const prev = byKey.get(r.externalId);
          if (prev !== undefined && prev !== json) dupes.add(r.externalId);
          byKey.set(r.externalId, json);
        }
        const done = new Set<string>();
        const prepared: { externalId: string; cols: Record<string, unknown> }[] = [];
        for (const raw of i.records as (Record<string, unknown> & { externalId: string; customerExternalId?: string })[]) {
          const { customerExternalId, ...r } = raw;
          if (dupes.has(r.externalId)) {
            if (!done.has(r.externalId))
              result.conflicts.push({ externalId: r.externalId, reason: 'the batch holds different records with this externalId' });
            done.add(r.externalId);
            continue;
          }
          if (done.has(r.externalId)) continue;
          done.add(r.externalId);
          const fields: Record<string, unknown> = { ...r };
          if (customerExternalId) {
            const c = await sql.query<{ id: string }>(`SELECT id FROM customers WHERE external_id = $1`, [customerExternalId]);
            if (!c.rows[0]) {
              result.conflicts.push({ externalId: r.externalId, reason: `no customer has externalId '${customerExternalId}'` });
              continue;
            }
            fields.customerId = c.rows[0].id;
          }
          const { cols, warnings, issues } = await columns(sql, e, fields, region);
          cols.warnings = JSON.stringify(warnings);
          for (const issue of issues) result.warnings.push({ externalId: r.externalId, ...issue });
          prepared.push({ externalId: r.externalId, cols });
        }
        if (!prepared.length) return result;
        const existing = await sql.query<Row>(`SELECT * FROM ${e.table} WHERE external_id = ANY($1::text[])`, [
          prepared.map((p) => p.externalId),
        ]);
        const stored = new Map(existing.rows.map((row) => [row.external_id as string, row]));
        const inserts: typeof prepared = [];
        for (const p of prepared) {
          const row = stored.get(p.externalId);
          if (!row) {
            inserts.push(p);
            continue;
          }
          const changed = Object.entries(p.cols).filter(([c, v]) => !same(row[c], v));
          if (!changed.length) {
            result.unchanged++;
            continue;
          }
          await sql.query(
            `UPDATE ${e.table} SET ${changed.map(([c], n) => `${c} = $${n + 2}`).join(', ')}, updated_at = now() WHERE id = $1`,
            [row.id, ...changed.map(([, v]) => v)],
          );
          result.updated++;
        }
        if (inserts.length) {
          const names = [...new Set(inserts.flatMap((p) => Object.keys(p.cols)))];
          const params: unknown[] = [ctx.tenantId];
          const values = inserts.map(
            (p) => `($1, ${names.map((n) => (n in p.cols ? `$${params.push(p.cols[n])}` : 'DEFAULT')).join(', ')})`,
          );
          await sql.query(`INSERT INTO ${e.table} (tenant_id, ${names.join(', ')}) VALUES ${values.join(', ')}`, params);
          result.inserted += inserts.length;
        }
        return result;
      }),
  });
}

function same(dbValue: unknown, v: unknown): boolean {
  if (dbValue == null || v == null) return dbValue == null && v == null;
  if (dbValue instanceof Date) return dbValue.getTime() === new Date(v as string).getTime();
  if (typeof v === 'string' && v.startsWith('[')) return JSON.stringify(dbValue) === v;
  if (typeof v === 'number') return Number(dbValue) === v;
  return String(dbValue) === String(v);
}

/**
 * The hosts this tenant allow-listed for outbound requests (tenants.outbound_allow_hosts,
 * set with PATCH /api/v1/tenant): crm-sync's `http` source passes them to runtime/outbound.ts.
 */
const outboundAllowHosts = businessTool({
  name: 'tenant_outbound_allow_hosts',
  description: 'The hosts this tenant allow-listed for its import URLs, which may then resolve to private or loopback addresses.',
  input: z.object({}),
  output: z.object({ allowHosts: z.array(z.string()) }),
  scope: 'read',
  route: { method: 'GET', path: '/api/v1/tenant/outbound-allow-hosts' },
  probe: {},
  handler: (_i, ctx) => ctx.tx(async (sql) => ({ allowHosts: await readOutboundAllowHosts(sql, ctx.tenantId) })),
});

export const crmTools: AnyTool[] = [...ENTITIES.flatMap(crud), outboundAllowHosts];

/** The written record of a CRM tool's output (`{customer: {...}}`). */
const rowOf = (o: Record<string, unknown>, singular: string) => o[singular] as { id: string; customerId?: string | null };
/** What puts a CRM audit row on a customer's trail: the customer itself, or its customerId. */
function linkOf(row: { id: string; customerId?: string | null }, singular: string): Record<string, unknown> {
  if (singular === 'customer') return { customerId: row.id };
  return row.customerId ? { customerId: row.customerId } : {};
}
