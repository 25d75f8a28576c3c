/**
 * A form generated from a JSON Schema: enums become selects, numbers number inputs with
 * their bounds, booleans checkboxes, arrays repeatable rows, nested objects fieldsets.
 * Each field shows its own error (client check or the server's zod issue) inline.
 */
import type { JsonSchema } from '../api.ts';
import { fieldLabel, initialValue, pathKey, unwrap, widgetOf, type Errors } from '../schema.ts';

interface FieldProps {
  schema: JsonSchema;
  name: string;
  path: (string | number)[];
  value: unknown;
  required: boolean;
  errors: Errors;
  idPrefix: string;
  onChange: (v: unknown) => void;
}

/** The whole form body for an object schema. */
export function SchemaForm(props: {
  schema: JsonSchema;
  value: Record<string, unknown>;
  errors: Errors;
  idPrefix: string;
  onChange: (v: Record<string, unknown>) => void;
}) {
  const s = unwrap(props.schema);
  const entries = Object.entries(s.properties ?? {});
  if (!entries.length) return <p className="muted">This agent takes no input.</p>;
  return (
    <div className="fields">
      {entries.map(([k, p]) => (
        <Field
          key={k}
          schema={p}
          name={k}
          path={[k]}
          value={props.value[k]}
          required={s.required?.includes(k) ?? false}
          errors={props.errors}
          idPrefix={props.idPrefix}
          onChange={(v) => props.onChange({ ...props.value, [k]: v })}
        />
      ))}
    </div>
  );
}

function Field(p: FieldProps) {
  const s = unwrap(p.schema);
  const key = pathKey(p.path);
  const id = `${p.idPrefix}-${key.replace(/\./g, '-')}`;
  const error = p.errors[key];
  const errId = `${id}-error`;
  const hintId = `${id}-hint`;
  const described = [s.description ? hintId : '', error ? errId : ''].filter(Boolean).join(' ') || undefined;
  const widget = widgetOf(s);
  const title = `${fieldLabel(p.name)}${p.required ? ' *' : ''}`;
  const common = { id, name: key, 'aria-invalid': error ? true : undefined, 'aria-describedby': described } as const;

  let control: React.ReactNode;
  switch (widget) {
    case 'select':
      control = (
        <select
          {...common}
          value={p.value === undefined ? '' : String(p.value)}
          onChange={(e) => p.onChange(e.target.value === '' ? undefined : e.target.value)}
        >
          {!p.required && <option value="">—</option>}
          {(s.enum ?? []).map((o) => (
            <option key={String(o)} value={String(o)}>
              {String(o).replace(/_/g, ' ')}
            </option>
          ))}
        </select>
      );
      break;
    case 'integer':
    case 'number':
      control = (
        <input
          {...common}
          type="number"
          inputMode={widget === 'integer' ? 'numeric' : 'decimal'}
          step={widget === 'integer' ? 1 : 'any'}
          min={s.minimum ?? s.exclusiveMinimum}
          max={s.maximum ?? s.exclusiveMaximum}
          value={p.value === undefined ? '' : String(p.value)}
          onChange={(e) =>
            p.onChange(e.target.value === '' ? undefined : Number.isNaN(e.target.valueAsNumber) ? e.target.value : e.target.valueAsNumber)
          }
        />
      );
      break;
    case 'checkbox':
      return (
        <div className={`field checkbox${error ? ' has-error' : ''}`}>
          <input {...common} type="checkbox" checked={p.value === true} onChange={(e) => p.onChange(e.target.checked)} />
          <label htmlFor={id}>{title}</label>
          <Hint id={hintId} text={s.description} />
          <FieldError id={errId} text={error} />
        </div>
      );
    case 'array':
      return <ArrayField {...p} schema={s} title={title} id={id} error={error} errId={errId} />;
    case 'object':
      return (
        <fieldset className="field nested">
          <legend>{title}</legend>
          <Hint id={hintId} text={s.description} />
          {Object.entries(s.properties ?? {}).map(([k, child]) => (
            <Field
              key={k}
              {...p}
              schema={child}
              name={k}
              path={[...p.path, k]}
              value={(p.value as Record<string, unknown> | undefined)?.[k]}
              required={s.required?.includes(k) ?? false}
              onChange={(v) => p.onChange({ ...((p.value as Record<string, unknown>) ?? {}), [k]: v })}
            />
          ))}
        </fieldset>
      );
    case 'json':
      control = (
        <textarea
          {...common}
          rows={3}
          placeholder="JSON"
          value={typeof p.value === 'string' ? p.value : p.value === undefined ? '' : JSON.stringify(p.value)}
          onChange={(e) => p.onChange(e.target.value === '' ? undefined : e.target.value)}
        />
      );
      break;
    default:
      control = (
        <input
          {...common}
          type="text"
          value={p.value === undefined ? '' : String(p.value)}
          minLength={s.minLength}
          maxLength={s.maxLength}
          placeholder={s.pattern ? exampleOf(s) : undefined}
          onChange={(e) => p.onChange(e.target.value === '' ? undefined : e.target.value)}
        />
      );
  }
  return (
    <div className={`field${error ? ' has-error' : ''}`}>
      <label htmlFor={id}>{title}</label>
      {control}
      <Hint id={hintId} text={s.description} />
      <FieldError id={errId} text={error} />
    </div>
  );
}

function ArrayField(p: FieldProps & { title: string; id: string; error: string | undefined; errId: string }) {
  const items = Array.isArray(p.value) ? p.value : [];
  const itemSchema = p.schema.items ?? {};
  const set = (next: unknown[]) => p.onChange(next);
  return (
    <fieldset className={`field array${p.error ? ' has-error' : ''}`} aria-describedby={p.error ? p.errId : undefined}>
      <legend>{p.title}</legend>
      {items.map((v, i) => (
        <div className="array-row" key={i}>
          <Field
            {...p}
            schema={itemSchema}
            name={`${fieldLabel(p.name)} ${i + 1}`}
            path={[...p.path, i]}
            value={v}
            required
            onChange={(nv) => set(items.map((x, j) => (j === i ? nv : x)))}
          />
          <button
            type="button"
            className="link"
            onClick={() => set(items.filter((_, j) => j !== i))}
            aria-label={`Remove ${fieldLabel(p.name)} ${i + 1}`}
          >
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="secondary" onClick={() => set([...items, initialValue(itemSchema)])}>
        Add {fieldLabel(p.name).toLowerCase()}
      </button>
      <FieldError id={p.errId} text={p.error} />
    </fieldset>
  );
}

const Hint = ({ id, text }: { id: string; text: string | undefined }) =>
  text ? (
    <small id={id} className="hint">
      {text}
    </small>
  ) : null;

const FieldError = ({ id, text }: { id: string; text: string | undefined }) =>
  text ? (
    <small id={id} className="error" role="alert">
      {text}
    </small>
  ) : null;

/** A placeholder for common patterns, so the operator sees the expected shape. */
function exampleOf(s: JsonSchema): string | undefined {
  const m = /e\.g\. "([^"]+)"/.exec(s.description ?? '');
  return m?.[1];
}
