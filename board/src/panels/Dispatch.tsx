/** Dispatch: pick an agent, fill the form generated from its input schema, send, watch. */
import { useEffect, useState } from 'react';
import { api, ApiError, type Agent } from '../api.ts';
import { useAgents } from '../hooks.ts';
import { navigate } from '../router.ts';
import { initialValue, issuesToErrors, toInput, validate, type Errors } from '../schema.ts';
import { SchemaForm } from '../components/SchemaForm.tsx';
import { ErrorBox, Loading } from '../components/common.tsx';

/**
 * `initialAgent` preselects an agent; `from` (a task id, from a failed task's "Edit input and
 * run") fills its form with that task's input.
 */
export function Dispatch({ initialAgent, from }: { initialAgent?: string | undefined; from?: string | undefined }) {
  const agents = useAgents();
  const [name, setName] = useState<string | undefined>(initialAgent);
  const [fromInput, setFromInput] = useState<{ agent: string; input: Record<string, unknown> } | undefined>();
  useEffect(() => {
    if (!from) return;
    api
      .task(from)
      .then(({ task }) => {
        if (task.input && typeof task.input === 'object') setFromInput({ agent: task.agent, input: task.input as Record<string, unknown> });
      })
      .catch(() => undefined);
  }, [from]);
  useEffect(() => {
    if (!name && agents.data?.length) setName(agents.data.find((a) => a.name === 'estimator')?.name ?? agents.data[0]?.name);
  }, [agents.data, name]);
  const agent = agents.data?.find((a) => a.name === name);

  return (
    <section aria-labelledby="dispatch-title">
      <h1 id="dispatch-title">Dispatch a task</h1>
      <ErrorBox error={agents.error} what="Agents" />
      {agents.loading && !agents.data && <Loading what="agents" />}
      {agents.data && (
        <div className="card">
          <div className="field agent-pick">
            <label htmlFor="agent-select">Agent</label>
            <select id="agent-select" value={name ?? ''} onChange={(e) => setName(e.target.value)}>
              {agents.data.map((a) => (
                <option key={a.name} value={a.name}>
                  {a.name}
                </option>
              ))}
            </select>
            {agent && <small className="hint">{agent.description}</small>}
          </div>
          {agent && (
            <AgentForm
              key={`${agent.name}:${fromInput?.agent === agent.name ? 'from' : 'new'}`}
              agent={agent}
              {...(fromInput?.agent === agent.name ? { initial: fromInput.input } : {})}
            />
          )}
        </div>
      )}
    </section>
  );
}

/** The generated form of one agent, with inline validation and the server's 400 issues. */
export function AgentForm({
  agent,
  submitLabel = 'Dispatch',
  onSubmit,
  initial,
}: {
  agent: Agent;
  submitLabel?: string;
  onSubmit?: (input: unknown) => Promise<void>;
  /** Values to start from (another task's input) instead of the schema's defaults. */
  initial?: Record<string, unknown>;
}) {
  const [value, setValue] = useState(() => ({ ...((initialValue(agent.inputSchema) ?? {}) as Record<string, unknown>), ...initial }));
  const [errors, setErrors] = useState<Errors>({});
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError | undefined>();

  const change = (v: Record<string, unknown>) => {
    setValue(v);
    setFailure(undefined);
    if (touched) setErrors(validate(agent.inputSchema, v));
  };

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setFailure(undefined);
    const found = validate(agent.inputSchema, value);
    setErrors(found);
    if (Object.keys(found).length) {
      document.getElementById(`form-${agent.name}-${Object.keys(found)[0]?.replace(/\./g, '-')}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const input = toInput(agent.inputSchema, value);
      if (onSubmit) await onSubmit(input);
      else {
        const task = await api.dispatch(agent.name, input);
        navigate(`/tasks/${task.id}`);
      }
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : new ApiError(0, 'CLIENT', (err as Error).message);
      setFailure(apiErr);
      if (apiErr.issues.length) setErrors(issuesToErrors(apiErr.issues));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-label={`${agent.name} input`}>
      <SchemaForm schema={agent.inputSchema} value={value} errors={errors} idPrefix={`form-${agent.name}`} onChange={change} />
      {failure && (
        <div className="notice error" role="alert">
          {failure.message}
          {failure.issues.length > 0 && ' See the highlighted fields.'}
        </div>
      )}
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : submitLabel}
        </button>
      </div>
    </form>
  );
}
