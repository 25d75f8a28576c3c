/**
 * CRM import rules: map a CenterPoint-style export (CSV or JSON) to customer records,
 * unwrap what spreadsheet programs write into cells, normalise, fingerprint, and report the
 * rows that cannot be imported and the values kept with a warning. Whether a record is new,
 * changed or unchanged is decided against the stored customer by the idempotent upsert tool,
 * which also normalises phone numbers (libphonenumber, the tenant's phone region; see
 * tools/util.ts normalisePhone) — one normaliser for every CRM write.
 *
 * Cells (cells.ts): `="00123"` (Excel's text-forced formula) → `00123`; Excel's leading apostrophe
 * (`'0151…`) dropped; non-breaking spaces, runs of whitespace and line breaks inside a
 * cell collapsed; a 4-digit US ZIP given back its leading zero; amounts read with the file's
 * thousands and decimal separators; Excel serial dates (`44240`) turned into dates.
 * Dates: the order of a column (day-first or month-first) is read from the column itself — a
 * first number above 12 proves day-first, a second above 12 month-first. A column whose dates
 * all fit both orders is ambiguous: its dates are stored only when the import says which
 * order (`dateOrder`), and reported otherwise; an impossible date is never stored.
 * The fingerprint is the SHA-256 of the normalised fields in a fixed order: two rows of one file
 * with the same id and fingerprint are one record.
 * Conflicts (reported, never imported): no external id, an id a spreadsheet turned into
 * scientific notation, no name, or the same external id twice in one file with different
 * contents (the first one wins). An email that does not look like one is imported with a warning. The report's summaries are in report.ts.
 * @module
 */
import { createHash } from 'node:crypto';
import { isVisible } from '../../runtime/text.ts';
import { detectDateOrder, parseAmount, parseDate, unwrapCell, type DateOrder } from './cells.ts';
import { detectDelimiter, parseCsv, type Delimiter } from './csv.ts';

export interface CustomerRecord {
  externalId: string;
  name: string;
  email?: string;
  phone?: string;
  phoneExtension?: string;
  company?: string;
  street?: string;
  city?: string;
  state?: string;
  zip?: string;
  status?: string;
  source?: string;
  customerSince?: string;
  /** USD, from a lifetime value / total sales column. */
  lifetimeValue?: number;
}

export const FIELDS = [
  'externalId',
  'name',
  'email',
  'phone',
  'phoneExtension',
  'company',
  'street',
  'city',
  'state',
  'zip',
  'status',
  'source',
  'customerSince',
  'lifetimeValue',
] as const;

type Field = keyof CustomerRecord | 'firstName' | 'lastName';

/** Header aliases (lower-case, non-alphanumerics removed) → field. */
const ALIASES: Record<string, Field> = {
  customerid: 'externalId',
  id: 'externalId',
  externalid: 'externalId',
  accountnumber: 'externalId',
  custno: 'externalId',
  customernumber: 'externalId',
  customerno: 'externalId',
  accountno: 'externalId',
  acctnumber: 'externalId',
  acctno: 'externalId',
  clientid: 'externalId',
  clientnumber: 'externalId',
  kundennummer: 'externalId',
  name: 'name',
  customername: 'name',
  fullname: 'name',
  displayname: 'name',
  firstname: 'firstName',
  lastname: 'lastName',
  givenname: 'firstName',
  surname: 'lastName',
  vorname: 'firstName',
  nachname: 'lastName',
  email: 'email',
  emailaddress: 'email',
  primaryemail: 'email',
  mail: 'email',
  phone: 'phone',
  phonenumber: 'phone',
  primaryphone: 'phone',
  mobile: 'phone',
  mobilephone: 'phone',
  mobilenumber: 'phone',
  cell: 'phone',
  cellphone: 'phone',
  homephone: 'phone',
  workphone: 'phone',
  businessphone: 'phone',
  telephone: 'phone',
  tel: 'phone',
  telefon: 'phone',
  ext: 'phoneExtension',
  extension: 'phoneExtension',
  phoneext: 'phoneExtension',
  phoneextension: 'phoneExtension',
  company: 'company',
  companyname: 'company',
  street: 'street',
  address: 'street',
  address1: 'street',
  streetaddress: 'street',
  city: 'city',
  state: 'state',
  province: 'state',
  zip: 'zip',
  zipcode: 'zip',
  postalcode: 'zip',
  postcode: 'zip',
  status: 'status',
  customerstatus: 'status',
  leadsource: 'source',
  source: 'source',
  customersince: 'customerSince',
  createddate: 'customerSince',
  created: 'customerSince',
  datecreated: 'customerSince',
  lifetimevalue: 'lifetimeValue',
  totalsales: 'lifetimeValue',
  totalrevenue: 'lifetimeValue',
  ltv: 'lifetimeValue',
};

/** A header as the aliases spell it: lower case, `#` read as "number" (`Customer #`), nothing but letters and digits. */
const key = (h: string): string =>
  h
    .toLowerCase()
    .replace(/#/g, 'number')
    .replace(/[^a-z0-9]/g, '');

export type RawRecord = Record<string, unknown>;

/** How a CSV export was read. */
export interface CsvFile {
  delimiter: Delimiter;
  /** The header's names, each once. */
  header: string[];
  records: RawRecord[];
  /** What reading the rows noticed: a header name given twice, a row with cells past the header. */
  warnings: ImportWarning[];
}

const shown = (v: string) => `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;

/**
 * Rows of a CSV export as objects keyed by their header (the separator detected). A header
 * name given twice (two `Email` columns) is one field: each row's first non-empty cell of
 * those columns, with a warning when a row's cells differ. Cells past the header's last
 * column are not read, with a warning: a value with an unquoted separator (`€1.200,00` in a
 * comma file) shifts every cell after it.
 */
export function readCsv(text: string): CsvFile {
  const delimiter = detectDelimiter(text);
  const [header, ...rows] = parseCsv(text, delimiter);
  if (!header) return { delimiter, header: [], records: [], warnings: [] };
  const names = header.map((h) => unwrapCell(h));
  const columns = new Map<string, number[]>();
  names.forEach((h, i) => columns.set(h, [...(columns.get(h) ?? []), i]));
  const warnings: ImportWarning[] = [];
  for (const [h, at] of columns)
    if (at.length > 1)
      warnings.push({
        kind: 'duplicate_column',
        value: h,
        message: `The header names ${shown(h)} ${at.length} times (columns ${at.map((i) => i + 1).join(', ')}): each row's first non-empty one is read.`,
      });
  const records = rows.map((r, i) => {
    const row = i + 1;
    const record: RawRecord = {};
    for (const [h, at] of columns) {
      const cells = at.map((c) => r[c] ?? '').filter((v) => unwrapCell(v) !== '');
      record[h] = cells[0] ?? '';
      const other = cells.find((v) => unwrapCell(v) !== unwrapCell(cells[0]));
      if (other !== undefined)
        warnings.push({
          kind: 'duplicate_column_values_differ',
          row,
          value: other,
          message: `Row ${row}: the ${shown(h)} columns hold ${shown(cells[0]!)} and ${shown(other)}; the first is read.`,
        });
    }
    const extra = r.slice(names.length).filter((v) => v !== '');
    if (extra.length)
      warnings.push({
        kind: 'extra_cells',
        row,
        value: extra.join(delimiter),
        message: `Row ${row} has ${r.length} cells for a ${names.length}-column header; ${extra.map(shown).join(', ')} past the last column ${extra.length === 1 ? 'is' : 'are'} not read. A value with an unquoted '${delimiter === '\t' ? '\\t' : delimiter}' in it shifts the cells after it: check the row.`,
      });
    return record;
  });
  return { delimiter, header: [...columns.keys()], records, warnings };
}

/** Rows of a CSV export as objects keyed by their header. */
export function csvRecords(text: string): RawRecord[] {
  return readCsv(text).records;
}

/** The field each header maps to (unknown headers are left out). */
export function mapHeader(header: string[]): Record<string, Field> {
  return Object.fromEntries(header.flatMap((h) => (ALIASES[key(h)] ? [[h, ALIASES[key(h)]!]] : [])));
}

export interface ImportOptions {
  /** The order of numeric dates when a column does not prove it. */
  dateOrder?: DateOrder;
  /** Amounts use a decimal comma (semicolon-separated exports do). */
  decimalComma?: boolean;
}

/** A value kept or left out with a warning (the row is imported). */
export interface ImportWarning {
  kind: string;
  row?: number;
  externalId?: string;
  value?: string;
  message: string;
}

/** Maps one raw export row (any header spelling we know) to a normalised record; dates in `order`. */
export function normalise(
  raw: RawRecord,
  o: ImportOptions & { warn?: (w: Omit<ImportWarning, 'row' | 'externalId'>) => void; fields?: Map<string, Field | undefined> } = {},
): Partial<CustomerRecord> {
  const mapped: Partial<Record<Field, string>> = {};
  for (const h in raw) {
    const v = raw[h];
    let field: Field | undefined;
    if (o.fields?.has(h)) field = o.fields.get(h);
    else {
      field = ALIASES[key(h)];
      o.fields?.set(h, field);
    }
    if (!field) continue;
    const s = unwrapCell(v);
    if (s !== '') mapped[field] ??= s;
  }
  const name = mapped.name ?? [mapped.firstName, mapped.lastName].filter(Boolean).join(' ');
  const out: Partial<CustomerRecord> = {};
  if (mapped.externalId) out.externalId = mapped.externalId;
  if (name) out.name = name;
  if (mapped.email) out.email = mapped.email.toLowerCase();
  // Phones are normalised (E.164, extension apart, the tenant's region) by the upsert tool.
  if (mapped.phone) out.phone = mapped.phone;
  if (mapped.phoneExtension) out.phoneExtension = mapped.phoneExtension.replace(/^(?:x|ext\.?)\s*/i, '');
  for (const f of ['company', 'street', 'city', 'source'] as const) if (mapped[f]) out[f] = mapped[f];
  if (mapped.state) out.state = mapped.state.toUpperCase();
  if (mapped.status) out.status = mapped.status.toLowerCase();
  if (mapped.zip) {
    // Excel reads 02134 as a number and writes 2134: a US ZIP gets its leading zero back.
    out.zip =
      /^\d{4}$/.test(mapped.zip) && /^[A-Z]{2}$/.test(out.state ?? '')
        ? `0${mapped.zip}`
        : /^\d{4}-\d{4}$/.test(mapped.zip)
          ? `0${mapped.zip}`
          : mapped.zip;
  }
  if (mapped.customerSince) {
    const d = parseDate(mapped.customerSince, o.dateOrder);
    if (d === 'ambiguous') {
      o.warn?.({
        kind: 'date_ambiguous',
        value: mapped.customerSince,
        message: `'${mapped.customerSince}' fits both day-first and month-first and the column does not say which: not stored.`,
      });
    } else if (d === undefined) {
      o.warn?.({
        kind: 'date_invalid',
        value: mapped.customerSince,
        message: `'${mapped.customerSince}' is not a real date${o.dateOrder ? ` read ${o.dateOrder === 'dmy' ? 'day-first' : 'month-first'}` : ''}: not stored.`,
      });
    } else out.customerSince = d;
  }
  if (mapped.lifetimeValue) {
    const n = parseAmount(mapped.lifetimeValue, o.decimalComma ?? false);
    if (n === undefined)
      o.warn?.({ kind: 'amount_invalid', value: mapped.lifetimeValue, message: `'${mapped.lifetimeValue}' is not an amount: not stored.` });
    else out.lifetimeValue = n;
  }
  return out;
}

/** SHA-256 of the normalised fields in a fixed order: equal records, equal fingerprints (phones by their digits). */
export function fingerprint(r: Partial<CustomerRecord>): string {
  return createHash('sha256')
    .update(JSON.stringify(FIELDS.map((f) => (f === 'phone' && r.phone ? phoneKey(r.phone) : (r[f] ?? null)))))
    .digest('hex');
}

/** A phone's digits (and extension) without a leading NANP 1: `(512) 555-0100` = `+1 512.555.0100`. */
function phoneKey(p: string): string {
  const [num, ext] = p.split(/\s*(?:x|ext\.?|#)\s*(?=\d+$)/i);
  const digits = (num ?? '').replace(/\D/g, '');
  return `${digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits}${ext ? `x${ext}` : ''}`;
}

export interface Conflict {
  row: number;
  externalId?: string;
  reason: 'missing_external_id' | 'external_id_mangled' | 'missing_name' | 'duplicate_external_id';
  message: string;
}

export interface Prepared {
  /** With the 1-based data row each came from. */
  records: (CustomerRecord & { hash: string; row: number })[];
  conflicts: Conflict[];
  warnings: ImportWarning[];
  /** Exact repeats of an earlier row (same id, same contents): skipped silently. */
  duplicates: number;
  /** The date order used for the customer-since column, and how it was decided. */
  dateOrder?: { order: DateOrder; decidedBy: 'column' | 'option' };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Normalises every row, fingerprints it and reports the rows that cannot be imported. */
export function prepare(raws: RawRecord[], o: ImportOptions = {}): Prepared {
  const seen = new Map<string, string>();
  const records: Prepared['records'] = [];
  const conflicts: Conflict[] = [];
  const warnings: ImportWarning[] = [];
  let duplicates = 0;

  // The customer-since column's date order, from the column itself.
  const dateHeader = raws[0] ? Object.keys(raws[0]).find((h) => ALIASES[key(h)] === 'customerSince') : undefined;
  const detected = dateHeader ? detectDateOrder(raws.map((r) => unwrapCell(r[dateHeader]))) : { ambiguous: false, conflicting: false };
  const order = detected.order ?? o.dateOrder;
  if (detected.conflicting) {
    warnings.push({
      kind: 'date_order_mixed',
      value: detected.example,
      message: `The '${dateHeader}' column mixes day-first and month-first dates; only dates that prove their own order were stored.`,
    });
  }

  const fields = new Map<string, Field | undefined>();
  raws.forEach((raw, i) => {
    const row = i + 1;
    const pending: Omit<ImportWarning, 'row' | 'externalId'>[] = [];
    const r = normalise(raw, {
      ...(order ? { dateOrder: order } : {}),
      decimalComma: o.decimalComma ?? false,
      warn: (w) => pending.push(w),
      fields,
    });
    const id = r.externalId;
    if (!id) return void conflicts.push({ row, reason: 'missing_external_id', message: `Row ${row} has no customer id.` });
    if (/^\d(?:[.,]\d+)?E\+\d+$/i.test(id)) {
      return void conflicts.push({
        row,
        externalId: id,
        reason: 'external_id_mangled',
        message: `Row ${row}: the customer id '${id}' was turned into scientific notation by a spreadsheet and its digits are lost; export the id column as text.`,
      });
    }
    // A name of only invisible characters (a zero-width space) is no name: the API would refuse it too.
    if (!r.name || !isVisible(r.name))
      return void conflicts.push({ row, externalId: id, reason: 'missing_name', message: `Customer ${id} has no name.` });
    // As the API keeps a customer created with a doubtful email (a soft warning), the import
    // keeps the customer and says so: one mistyped address must not lose the whole row.
    if (r.email && !EMAIL.test(r.email))
      pending.push({
        kind: 'email_invalid',
        value: r.email,
        message: `Customer ${id} has an email that does not look like an address ('${r.email}'); the customer is imported with it, to be corrected.`,
      });
    const hash = fingerprint(r);
    const before = seen.get(id);
    if (before !== undefined) {
      if (before === hash) duplicates++;
      else
        conflicts.push({
          row,
          externalId: id,
          reason: 'duplicate_external_id',
          message: `Customer ${id} appears twice with different details; the first row was kept.`,
        });
      return;
    }
    for (const w of pending) warnings.push({ ...w, row, externalId: id });
    seen.set(id, hash);
    records.push({ ...(r as CustomerRecord), hash, row });
  });
  return {
    records,
    conflicts,
    warnings,
    duplicates,
    ...(order ? { dateOrder: { order, decidedBy: detected.order ? 'column' : 'option' } } : {}),
  };
}

/** The CRM customer the upsert tool stores, from a normalised record. */
export function toCustomer(r: CustomerRecord): {
  externalId: string;
  name: string;
  email: string | null;
  phone: string | null;
  phoneExtension?: string;
  address: string | null;
  notes: string | null;
} {
  const cityLine = [r.city, [r.state, r.zip].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  const address = [r.street, cityLine].filter(Boolean).join(', ');
  const notes = [
    r.company && `Company: ${r.company}`,
    r.status && `Status: ${r.status}`,
    r.source && `Source: ${r.source}`,
    r.customerSince && `Customer since: ${r.customerSince}`,
    r.lifetimeValue !== undefined && `Lifetime value: ${r.lifetimeValue}`,
  ]
    .filter(Boolean)
    .join('; ');
  return {
    externalId: r.externalId,
    name: r.name,
    email: r.email ?? null,
    phone: r.phone ?? null,
    ...(r.phoneExtension ? { phoneExtension: r.phoneExtension } : {}),
    address: address || null,
    notes: notes || null,
  };
}
