/**
 * Cells as spreadsheet programs write them: `="00123"` (Excel's text-forced formula) →
 * `00123`; Excel's leading apostrophe (`'0151…`) dropped; non-breaking spaces, runs of
 * whitespace and line breaks inside a cell collapsed; amounts read with the file's thousands
 * and decimal separators; Excel serial dates (`44240`) turned into dates. The order of a date
 * column (day-first or month-first) is read from the column itself — a first number above 12
 * proves day-first, a second above 12 month-first.
 * @module
 */
import { trimInvisible } from '../../runtime/text.ts';

/**
 * A cell as the person meant it: Excel's `="00123"` and a leading apostrophe (Excel's text prefix)
 * unwrapped, non-breaking spaces made spaces, line breaks and runs of whitespace collapsed,
 * zero-width characters at the ends trimmed.
 */
export function unwrapCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  // Most cells need nothing: no quirk marker, no edge or double whitespace, no odd spaces.
  if (
    typeof v === 'string' &&
    !/^[\s='",\u200b-\u200d\u2060\ufeff\u00ad]|[\s,\u200b-\u200d\u2060\ufeff\u00ad]$|\s\s|[\r\n\t\u00a0\u2007\u202f]/.test(v)
  )
    return v;
  let s = String(v)
    .replace(/[\u00a0\u2007\u202f]/g, ' ')
    .replace(/\s*[\r\n]+\s*/g, ', ')
    .replace(/\s+/g, ' ')
    .trim();
  const formula = /^="(.*)"$/.exec(s);
  if (formula) s = formula[1]!.replace(/""/g, '"').trim();
  // Excel's text prefix (never shown in the sheet): `'00123`, `'Dana` — not a quoted `'word'`.
  if (/^'[^']/.test(s) && !s.endsWith("'")) s = s.slice(1);
  // Zero-width characters at the ends (a name pasted from a web page) are not part of it.
  return trimInvisible(s.replace(/^,\s*|,\s*$/g, ''));
}

export type DateOrder = 'dmy' | 'mdy';
const NUMERIC_DATE = /^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T].*)?$/;

/** The order a column's numeric dates are written in, from the values themselves. */
export function detectDateOrder(values: string[]): { order?: DateOrder; ambiguous: boolean; conflicting: boolean; example?: string } {
  let dmy = false;
  let mdy = false;
  let dotted = false;
  let example: string | undefined;
  for (const v of values) {
    const m = NUMERIC_DATE.exec(v);
    if (!m) continue;
    example ??= v;
    if (m[2] === '.') dotted = true;
    if (Number(m[1]) > 12 && Number(m[3]) <= 12) dmy = true;
    if (Number(m[3]) > 12 && Number(m[1]) <= 12) mdy = true;
  }
  if (dmy && mdy) return { ambiguous: false, conflicting: true, ...(example ? { example } : {}) };
  if (dmy) return { order: 'dmy', ambiguous: false, conflicting: false };
  if (mdy) return { order: 'mdy', ambiguous: false, conflicting: false };
  // Dotted dates are day-first wherever they are written (DD.MM.YYYY).
  if (dotted) return { order: 'dmy', ambiguous: false, conflicting: false };
  return { ambiguous: example !== undefined, conflicting: false, ...(example ? { example } : {}) };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** YYYY-MM-DD when y-m-d is a real calendar day (1900-2100), else undefined. */
function calendar(y: number, m: number, d: number): string | undefined {
  if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1) return undefined;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days ? `${y}-${pad(m)}-${pad(d)}` : undefined;
}

/**
 * A date cell as YYYY-MM-DD: ISO dates, numeric dates in `order` (none: a numeric date whose
 * order the cell alone does not prove stays unread), Excel serial day numbers, dates with month
 * names. `undefined` when it is not a real date; `'ambiguous'` when the order is needed and unknown.
 */
export function parseDate(s: string, order?: DateOrder): string | undefined | 'ambiguous' {
  const iso = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$/.exec(s);
  if (iso) return calendar(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const num = NUMERIC_DATE.exec(s);
  if (num) {
    const [a, b] = [Number(num[1]), Number(num[3])];
    let y = Number(num[4]);
    if (num[4]!.length === 2) y += y < 70 ? 2000 : 1900;
    const o = order ?? (a > 12 ? 'dmy' : b > 12 ? 'mdy' : a === b ? 'dmy' : undefined);
    if (!o) return 'ambiguous';
    return o === 'dmy' ? calendar(y, b, a) : calendar(y, a, b);
  }
  // Excel stores dates as days since 1899-12-30; an unformatted date cell exports that number.
  if (/^\d{5}(?:\.\d+)?$/.test(s)) {
    const n = Math.floor(Number(s));
    if (n < 20_000 || n > 80_000) return undefined;
    const d = new Date(Date.UTC(1899, 11, 30) + n * 86_400_000);
    return calendar(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
  }
  if (/[a-z]/i.test(s)) {
    const t = Date.parse(s);
    if (Number.isNaN(t)) return undefined;
    const d = new Date(t);
    return calendar(d.getFullYear(), d.getMonth() + 1, d.getDate());
  }
  return undefined;
}

/**
 * An amount written with thousands separators and a decimal mark (`1,234.56`, `1.234,56`,
 * `1 234,56`, `$12,500`): `decimalComma` decides a lone separator with three digits after it
 * (`1,234` is 1234 in a comma-decimal-point file, 1.234 in a semicolon one).
 */
export function parseAmount(s: string, decimalComma: boolean): number | undefined {
  const t = s.replace(/[\s\u00a0$€£]|USD|EUR/g, '');
  if (!/^-?[\d.,']+$/.test(t)) return undefined;
  const lastComma = t.lastIndexOf(',');
  const lastDot = t.lastIndexOf('.');
  let dec: ',' | '.' | undefined;
  if (lastComma >= 0 && lastDot >= 0) dec = lastComma > lastDot ? ',' : '.';
  else if (lastComma >= 0) dec = t.split(',').length > 2 || (t.length - lastComma - 1 === 3 && !decimalComma) ? undefined : ',';
  else if (lastDot >= 0) dec = t.split('.').length > 2 || (t.length - lastDot - 1 === 3 && decimalComma) ? undefined : '.';
  const grouping = dec === ',' ? /[.']/g : /[,']/g;
  let u = t.replace(grouping, '');
  if (dec === ',') u = u.replace(',', '.');
  else if (dec === undefined) u = u.replace(/[.,]/g, '');
  const n = Number(u);
  return Number.isFinite(n) ? n : undefined;
}
