/** crm-sync: the import report — counts, how the file was read, each warning kind with examples, conflicts. */
import { humanize, num } from '../format.ts';
import { list, rec, Section, Table, type OutputProps } from './parts.tsx';

interface Example {
  row?: number;
  externalId?: string;
  value?: string;
  message: string;
}

export function CrmSyncView({ output }: OutputProps) {
  const counts: [string, unknown][] = [
    ['Rows', output.rows],
    ['Valid', output.valid],
    ['Inserted', output.inserted],
    ['Updated', output.updated],
    ['Unchanged', output.unchanged],
    ['Duplicate rows', output.duplicateRows],
    ['Conflicts', output.conflictCount],
    ['Warnings', output.warningCount],
  ];
  const file = rec(output.file);
  const warnings = list<{ kind: string; count: number; examples: Example[] }>(output.warnings);
  const conflicts = list<{ row?: number; externalId?: string; reason: string; message: string }>(output.conflicts);
  const where = (e: { row?: number; externalId?: string }) =>
    [e.row !== undefined ? `row ${e.row}` : '', e.externalId ? `id ${e.externalId}` : ''].filter(Boolean).join(', ') || '—';
  return (
    <div className="crm-report">
      <ul className="stat-tiles" aria-label="Import counts">
        {counts.map(([label, v]) => (
          <li key={label}>
            <strong>{num(v)}</strong> <span>{label}</span>
          </li>
        ))}
      </ul>
      <p className="muted">
        Read as {String(file.format ?? '?').toUpperCase()}
        {file.delimiter ? `, ${String(file.delimiter)}-separated` : ''}
        {file.encoding ? `, ${String(file.encoding)}` : ''}
        {isOrder(file.dateOrder)
          ? `, dates ${file.dateOrder.order === 'dmy' ? 'day-first' : 'month-first'} (from the ${file.dateOrder.decidedBy})`
          : ''}
        {output.phoneRegion ? `, phone numbers in ${String(output.phoneRegion)}` : ''}
        {list<string>(file.ignoredColumns).length ? `; ignored columns: ${list<string>(file.ignoredColumns).join(', ')}` : ''}.
      </p>
      {warnings.length > 0 && (
        <Section title="Warnings">
          {warnings.map((w) => (
            <details key={w.kind} className="warning-kind" data-kind={w.kind} open={warnings.length <= 3}>
              <summary>
                <strong>{humanize(w.kind)}</strong> · {num(w.count)}
              </summary>
              <ul>
                {w.examples.map((e, i) => (
                  <li key={i}>
                    <span className="muted">{where(e)}:</span> {e.value !== undefined && <code>{e.value}</code>} {e.message}
                  </li>
                ))}
              </ul>
            </details>
          ))}
        </Section>
      )}
      {conflicts.length > 0 && (
        <Table caption="Conflicts" head={['Where', 'Reason', 'What happened']}>
          {conflicts.map((c, i) => (
            <tr key={i}>
              <td>{where(c)}</td>
              <td>{humanize(c.reason)}</td>
              <td>{c.message}</td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}

const isOrder = (v: unknown): v is { order: string; decidedBy: string } => typeof rec(v).order === 'string';
