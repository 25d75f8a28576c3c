/**
 * Reading a spreadsheet export: its bytes decoded (UTF-8 with or without a byte-order mark,
 * UTF-16 as Excel's "Unicode text" writes it, else Windows-1252, the superset of Latin-1 that
 * Excel on Windows writes), its separator detected (comma, semicolon, tab or pipe) and its
 * records parsed by csv-parse (RFC 4180 quoting, quoted separators and line breaks, CRLF,
 * blank and all-empty rows skipped). Cell quirks (`="00123"`, `'0151…`) are unwrapped by the
 * import rules (core.ts), which know what each column holds.
 * @module
 */
import { parse, CsvError } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { badRequest } from '../../runtime/public.ts';

export type Encoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/**
 * The text of an export and how its bytes were read.
 * @throws AppError INVALID_TEXT (400) when the text holds a NUL character, which no column can
 *   store (a binary file, or a spreadsheet saved in an encoding this does not read).
 */
export function decodeExport(bytes: Uint8Array): { text: string; encoding: Encoding } {
  const decoded = decodeBytes(bytes);
  const nul = decoded.text.indexOf('\u0000');
  if (nul >= 0) {
    const line = decoded.text.slice(0, nul).split('\n').length;
    throw badRequest(
      'INVALID_TEXT',
      `The file contains a NUL character (a zero byte) on line ${line}, which cannot be stored: it is not a text export (CSV/TSV saved as UTF-8, UTF-16 or Windows-1252). Save it again as CSV and re-upload.`,
      { at: 'body', line },
    );
  }
  return decoded;
}

function decodeBytes(bytes: Uint8Array): { text: string; encoding: Encoding } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8-bom' };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  // UTF-16 without a mark: ASCII text with every other byte zero.
  const sample = bytes.subarray(0, 2000);
  let oddZeros = 0;
  let evenZeros = 0;
  for (let i = 0; i < sample.length; i++) {
    if (sample[i] !== 0) continue;
    if (i % 2) oddZeros++;
    else evenZeros++;
  }
  if (sample.length >= 4 && oddZeros > sample.length / 4 && evenZeros === 0)
    return { text: new TextDecoder('utf-16le').decode(bytes), encoding: 'utf-16le' };
  if (sample.length >= 4 && evenZeros > sample.length / 4 && oddZeros === 0)
    return { text: new TextDecoder('utf-16be').decode(bytes), encoding: 'utf-16be' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    // Not UTF-8: the 8-bit code page spreadsheet programs write on Windows (Latin-1 plus € “ ” …).
    // iconv-lite, because Node's TextDecoder reads 'windows-1252' as ISO-8859-1 (0x80 is not €).
    return { text: iconv.decode(bytes, 'win1252'), encoding: 'windows-1252' };
  }
}

export const DELIMITERS = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' } as const;
export type Delimiter = keyof typeof DELIMITERS;

const OPTIONS = {
  relax_column_count: true,
  relax_quotes: true,
  skip_empty_lines: true,
  skip_records_with_empty_values: true,
  trim: true,
} as const;

/**
 * The separator whose first 50 lines parse into the most rows with as many fields as the
 * header (at least two); comma when no candidate splits the header.
 */
export function detectDelimiter(text: string): Delimiter {
  const named = sepLine(text).delimiter;
  if (named) return named;
  // The first 64 KB (whole lines) decide; the whole text only when a quoted field crosses that cut.
  const cut = text.length > 65_536 ? text.lastIndexOf('\n', 65_536) : -1;
  const sample = cut > 0 ? text.slice(0, cut + 1) : text;
  let best: { d: Delimiter; score: number; width: number } = { d: ',', score: -1, width: 1 };
  for (const d of Object.keys(DELIMITERS) as Delimiter[]) {
    let rows: string[][];
    try {
      rows = parse(sample, { ...OPTIONS, delimiter: d, to_line: 50 }) as string[][];
    } catch {
      try {
        rows = parse(text, { ...OPTIONS, delimiter: d, to_line: 50 }) as string[][];
      } catch {
        continue;
      }
    }
    const width = rows[0]?.length ?? 0;
    if (width < 2) continue;
    const score = rows.filter((r) => r.length === width).length;
    if (score > best.score || (score === best.score && width > best.width)) best = { d, score, width };
  }
  return best.d;
}

/**
 * Excel's separator line: a first line `sep=;` (or `"sep=;"`), which Excel reads as "split on
 * ';'" and which files made for Excel carry. Returns the separator it names and the text after
 * it (the byte-order mark dropped too); without one, the text as it is.
 */
export function sepLine(text: string): { delimiter?: Delimiter; body: string } {
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const m = /^"?sep=(.)"?[ \t]*(?:\r\n|\n|\r|$)/i.exec(t);
  if (!m) return { body: t };
  const d = m[1]! as Delimiter;
  return d in DELIMITERS ? { delimiter: d, body: t.slice(m[0].length) } : { body: t.slice(m[0].length) };
}

/** Rows of a CSV text (header first) with the given or detected separator. Throws `CSV: …` sentences. */
export function parseCsv(text: string, delimiter: Delimiter = detectDelimiter(text)): string[][] {
  const body = sepLine(text).body;
  try {
    return parse(body, { ...OPTIONS, delimiter }) as string[][];
  } catch (err) {
    if (err instanceof CsvError) {
      const line = (err as { lines?: number }).lines;
      if (err.code === 'CSV_QUOTE_NOT_CLOSED')
        throw new Error(`CSV: a quoted field is never closed (the file ends inside quotes${line ? `, at line ${line}` : ''}).`);
      throw new Error(`CSV: ${err.message}`);
    }
    throw err;
  }
}

/** Quotes a value for CSV output when it needs it. */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
