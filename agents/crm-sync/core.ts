/**
 * CRM import rules: map a CenterPoint-style export (CSV or JSON) to customer records,
 * normalise them, fingerprint them and report the rows that cannot be imported. Whether a
 * record is new, changed or unchanged is decided against the stored customer by the
 * idempotent upsert tool.
 *
 * Normalisation (so that cosmetic differences are not changes): whitespace trimmed and
 * collapsed, email lower-cased, US phone numbers to E.164 (+1XXXXXXXXXX), state upper-case,
 * dates to YYYY-MM-DD. The fingerprint is the SHA-256 of the normalised fields in a fixed
 * order: two rows of one file with the same id and fingerprint are one record.
 * Conflicts (reported, never imported): no external id, no name, an invalid email, or the
 * same external id twice in one file with different contents (the first one wins).
 * @module
 */
import { createHash } from 'node:crypto';
import { parseCsv } from './csv.ts';

export interface CustomerRecord {
  externalId: string;
  name: string;
  email?: string;
  phone?: string;
  company?: string;
  street?: string;
  city?: string;
  state?: string;
  zip?: string;
  status?: string;
  source?: string;
  customerSince?: string;
}

export const FIELDS = ['externalId', 'name', 'email', 'phone', 'company', 'street', 'city', 'state', 'zip', 'status', 'source', 'customerSince'] as const;

/** Header aliases (lower-case, non-alphanumerics removed) → field. */
const ALIASES: Record<string, keyof CustomerRecord | 'firstName' | 'lastName'> = {
  customerid: 'externalId', id: 'externalId', externalid: 'externalId', accountnumber: 'externalId', custno: 'externalId',
  name: 'name', customername: 'name', fullname: 'name', displayname: 'name',
  firstname: 'firstName', lastname: 'lastName',
  email: 'email', emailaddress: 'email', primaryemail: 'email',
  phone: 'phone', phonenumber: 'phone', primaryphone: 'phone', mobile: 'phone',
  company: 'company', companyname: 'company',
  street: 'street', address: 'street', address1: 'street', streetaddress: 'street',
  city: 'city', state: 'state', province: 'state', zip: 'zip', zipcode: 'zip', postalcode: 'zip',
  status: 'status', customerstatus: 'status', leadsource: 'source', source: 'source',
  customersince: 'customerSince', createddate: 'customerSince', created: 'customerSince',
};

const key = (h: string): string => h.toLowerCase().replace(/[^a-z0-9]/g, '');

export type RawRecord = Record<string, unknown>;

/** Rows of a CSV export as objects keyed by their header. */
export function csvRecords(text: string): RawRecord[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

/** Maps one raw export row (any header spelling we know) to a normalised record. */
export function normalise(raw: RawRecord): Partial<CustomerRecord> {
  const mapped: Record<string, string> = {};
  for (const [h, v] of Object.entries(raw)) {
    const field = ALIASES[key(h)];
    if (!field || v === null || v === undefined) continue;
    const s = String(v).replace(/\s+/g, ' ').trim();
    if (s !== '') mapped[field] ??= s;
  }
  const name = mapped.name ?? [mapped.firstName, mapped.lastName].filter(Boolean).join(' ');
  const out: Partial<CustomerRecord> = {};
  if (mapped.externalId) out.externalId = mapped.externalId;
  if (name) out.name = name;
  if (mapped.email) out.email = mapped.email.toLowerCase();
  if (mapped.phone) out.phone = phone(mapped.phone);
  for (const f of ['company', 'street', 'city', 'zip', 'status', 'source'] as const) if (mapped[f]) out[f] = mapped[f];
  if (mapped.state) out.state = mapped.state.toUpperCase();
  if (mapped.status) out.status = mapped.status.toLowerCase();
  if (mapped.customerSince) out.customerSince = isoDate(mapped.customerSince);
  return out;
}

function phone(s: string): string {
  const digits = s.replace(/\D/g, '');
  if (digits.length === 10) return `+1${digits}`;
  if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
  return s;
}

function isoDate(s: string): string {
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
  if (us) return `${us[3]}-${us[1]!.padStart(2, '0')}-${us[2]!.padStart(2, '0')}`;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toISOString().slice(0, 10);
}

/** SHA-256 of the normalised fields in a fixed order: equal records, equal fingerprints. */
export function fingerprint(r: Partial<CustomerRecord>): string {
  return createHash('sha256')
    .update(JSON.stringify(FIELDS.map((f) => r[f] ?? null)))
    .digest('hex');
}

export interface Conflict {
  row: number;
  externalId?: string;
  reason: 'missing_external_id' | 'missing_name' | 'invalid_email' | 'duplicate_external_id';
  message: string;
}

export interface Prepared {
  records: (CustomerRecord & { hash: string })[];
  conflicts: Conflict[];
  /** Exact repeats of an earlier row (same id, same contents): skipped silently. */
  duplicates: number;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Normalises every row, fingerprints it and reports the rows that cannot be imported. */
export function prepare(raws: RawRecord[]): Prepared {
  const seen = new Map<string, string>();
  const records: Prepared['records'] = [];
  const conflicts: Conflict[] = [];
  let duplicates = 0;
  raws.forEach((raw, i) => {
    const row = i + 1;
    const r = normalise(raw);
    const id = r.externalId;
    if (!id) return void conflicts.push({ row, reason: 'missing_external_id', message: `Row ${row} has no customer id.` });
    if (!r.name) return void conflicts.push({ row, externalId: id, reason: 'missing_name', message: `Customer ${id} has no name.` });
    if (r.email && !EMAIL.test(r.email)) {
      return void conflicts.push({ row, externalId: id, reason: 'invalid_email', message: `Customer ${id} has an invalid email '${r.email}'.` });
    }
    const hash = fingerprint(r);
    const before = seen.get(id);
    if (before !== undefined) {
      if (before === hash) duplicates++;
      else conflicts.push({ row, externalId: id, reason: 'duplicate_external_id', message: `Customer ${id} appears twice with different details; the first row was kept.` });
      return;
    }
    seen.set(id, hash);
    records.push({ ...(r as CustomerRecord), hash });
  });
  return { records, conflicts, duplicates };
}

/** The CRM customer the upsert tool stores, from a normalised record. */
export function toCustomer(r: CustomerRecord): { externalId: string; name: string; email: string | null; phone: string | null; address: string | null; notes: string | null } {
  const cityLine = [r.city, [r.state, r.zip].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  const address = [r.street, cityLine].filter(Boolean).join(', ');
  const notes = [r.company && `Company: ${r.company}`, r.status && `Status: ${r.status}`, r.source && `Source: ${r.source}`, r.customerSince && `Customer since: ${r.customerSince}`]
    .filter(Boolean)
    .join('; ');
  return { externalId: r.externalId, name: r.name, email: r.email ?? null, phone: r.phone ?? null, address: address || null, notes: notes || null };
}
