/**
 * The import report's summaries: warnings grouped by kind with examples, and the one sentence
 * saying why a non-empty export imported nothing.
 * @module
 */
import { mapHeader, type ImportWarning, type Prepared } from './core.ts';
import { DELIMITERS, type Delimiter } from './csv.ts';

/** A warning kind in the import report: how many, what it means, and up to five examples. */
export interface WarningGroup {
  kind: string;
  count: number;
  examples: { row?: number; externalId?: string; value?: string; message: string }[];
}

/** Groups warnings by kind (most frequent first) with the first `n` of each as examples. */
export function groupWarnings(warnings: ImportWarning[], n = 5): WarningGroup[] {
  const groups = new Map<string, WarningGroup>();
  for (const w of warnings) {
    const g = groups.get(w.kind) ?? { kind: w.kind, count: 0, examples: [] };
    g.count++;
    if (g.examples.length < n)
      g.examples.push({
        ...(w.row ? { row: w.row } : {}),
        ...(w.externalId ? { externalId: w.externalId } : {}),
        ...(w.value ? { value: w.value } : {}),
        message: w.message,
      });
    groups.set(w.kind, g);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

/**
 * Why a non-empty export imported nothing, in one sentence (undefined when something was
 * importable): no data rows, no id column (naming the headers and separator read), or every
 * row refused (the commonest reasons).
 */
/** `s` cut to `n` characters, marked with an ellipsis where cut: a header cell can be megabytes long. */
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function whyNothing(file: { delimiter?: Delimiter; header: string[] }, rows: number, p: Prepared): string | undefined {
  if (p.records.length > 0) return undefined;
  if (rows === 0 && !file.header.length) return 'The export holds no rows at all, not even a header.';
  if (rows === 0) return `The export has a header row (${clip(file.header.slice(0, 8).join(', '), 200)}) but no data rows.`;
  const sep = file.delimiter ? `${DELIMITERS[file.delimiter]} ('${file.delimiter === '\t' ? '\\t' : file.delimiter}')` : undefined;
  const mapped = mapHeader(file.header);
  if (file.header.length && !Object.values(mapped).includes('externalId')) {
    const one =
      file.header.length === 1
        ? ` The header read as a single column '${clip(file.header[0]!, 80)}': the separator may be one we do not read (comma, semicolon, tab and pipe are).`
        : '';
    return `No column holds a customer id: the header${sep ? `, split on ${sep},` : ''} has ${file.header
      .map((h) => `'${clip(h, 80)}'`)
      .slice(0, 10)
      .join(', ')}; name one column "Customer ID" (or ID, External ID, Account Number).${one}`;
  }
  const counts = new Map<string, number>();
  for (const c of p.conflicts) counts.set(c.reason, (counts.get(c.reason) ?? 0) + 1);
  const reasons = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${n} ${r.replace(/_/g, ' ')}`);
  return `None of the ${rows} rows could be imported: ${reasons.join(', ')}${p.conflicts[0] ? ` (e.g. ${p.conflicts[0].message})` : ''}.`;
}
