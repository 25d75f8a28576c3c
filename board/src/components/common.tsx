/** Small shared pieces: status badges, error and "not available" notices, raw JSON. */
import type { ApiError, TaskStatus } from '../api.ts';

export function StatusBadge({ status }: { status: TaskStatus | string }) {
  return <span className={`badge status-${status}`}>{status.replace(/_/g, ' ')}</span>;
}

/** A feature whose API is not on this server yet (404 on the route). */
export function Unavailable({ what }: { what: string }) {
  return (
    <div className="notice" role="status">
      <strong>{what} is not available on this server.</strong> This panel lights up when the server provides it.
    </div>
  );
}

export function ErrorBox({ error, what }: { error: ApiError | undefined; what: string }) {
  if (!error) return null;
  if (error.unavailable) return <Unavailable what={what} />;
  return (
    <div className="notice error" role="alert">
      <strong>{what}:</strong> {error.message} <code>{error.code}</code>
    </div>
  );
}

export function RawJson({ value, label = 'Raw JSON' }: { value: unknown; label?: string }) {
  return (
    <details className="raw">
      <summary>{label}</summary>
      <pre>{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

/** A labelled agent picker; `anyLabel` adds a first "all agents" option with the value ''. */
export function AgentSelect(props: {
  id: string;
  agents: readonly { name: string }[] | undefined;
  value: string;
  onChange: (name: string) => void;
  anyLabel?: string;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>Agent</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.anyLabel !== undefined && <option value="">{props.anyLabel}</option>}
        {(props.agents ?? []).map((a) => (
          <option key={a.name} value={a.name}>
            {a.name}
          </option>
        ))}
      </select>
    </div>
  );
}
