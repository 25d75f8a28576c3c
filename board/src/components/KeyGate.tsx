/** Asks for the API key once; it is kept in this browser's localStorage. */
import { useState } from 'react';
import { api, ApiError, storeKey } from '../api.ts';

export function KeyGate({ onReady, reason }: { onReady: () => void; reason?: string | undefined }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState(reason ?? '');
  const [busy, setBusy] = useState(false);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) return setError('Enter an API key.');
    setBusy(true);
    storeKey(k);
    try {
      await api.agents();
      onReady();
    } catch (err) {
      storeKey(null);
      setError(err instanceof ApiError && err.status === 401 ? 'This key is not valid on this server.' : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="gate">
      <form className="card" onSubmit={submit} aria-labelledby="gate-title">
        <h1 id="gate-title">AI Board</h1>
        <p>Enter an API key of this server. It is stored in this browser only.</p>
        <div className={`field${error ? ' has-error' : ''}`}>
          <label htmlFor="api-key">API key</label>
          <input
            id="api-key"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby="api-key-hint api-key-error"
          />
          <small id="api-key-hint" className="hint">
            Running locally? Paste the key from <code>admin.key</code> in the server&apos;s data folder (
            <code>cat .brainops/admin.key</code>, or <code>$BRAINOPS_DATA_DIR/admin.key</code> when it was started with one), or make one
            with <code>npx brainops keys create --tenant default --scopes read,write,approve</code>.
          </small>
          {error && (
            <small id="api-key-error" className="error" role="alert">
              {error}
            </small>
          )}
        </div>
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Checking…' : 'Open the Board'}
          </button>
        </div>
      </form>
    </main>
  );
}
