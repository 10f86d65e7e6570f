import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { clearSession, loadSession, saveSession, Session, useSessionForRequests } from './api';
import { ErrorBox } from './components/ErrorBox';
import { api, Whoami } from './queries';
import { useRoute } from './router';

// Each page is its own chunk: the first load carries the shell and the page it opens on.
const Datasets = lazy(() => import('./pages/Datasets'));
const Experiments = lazy(() => import('./pages/Experiments'));
const Deployments = lazy(() => import('./pages/Deployments'));
const Course = lazy(() => import('./pages/Course'));

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [who, setWho] = useState<Whoami>();
  const [whoError, setWhoError] = useState<unknown>();
  const [expired, setExpired] = useState(false);
  useSessionForRequests(session, () => setExpired(true));

  useEffect(() => {
    if (!session) return;
    api.whoami().then(setWho, setWhoError);
  }, [session]);

  const signOut = () => {
    clearSession();
    setSession(null);
    setWho(undefined);
    setWhoError(undefined);
    setExpired(false);
  };

  if (!session || expired) {
    return (
      <SignIn
        notice={expired ? 'The server did not accept the key (expired, revoked or wrong). Sign in again.' : undefined}
        onSignedIn={(s, w) => {
          saveSession(s);
          setSession(s);
          setWho(w);
          setExpired(false);
        }}
      />
    );
  }
  return <Shell who={who} whoError={whoError} onSignOut={signOut} />;
}

function Shell({ who, whoError, onSignOut }: { who?: Whoami; whoError: unknown; onSignOut: () => void }) {
  const route = useRoute();
  const page = route[0];
  const pages: Array<[string, string]> = [
    ['datasets', 'Datasets'],
    ['experiments', 'Experiments'],
    ['deployments', 'Deployments'],
    ...(who?.teamKind === 'COURSE' ? ([['course', 'Course']] as Array<[string, string]>) : []),
  ];
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    document.title = `${pages.find((p) => p[0] === page)?.[1] ?? 'Trainyard'} · Trainyard console`;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [page]);
  return (
    <>
      <a className="skip" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Trainyard</span>
        <nav aria-label="Pages">
          <ul>
            {pages.map(([id, label]) => (
              <li key={id}>
                <a href={`#/${id}`} aria-current={page === id ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          {who ? `${who.user.name} · ${who.teamName} (${who.role.toLowerCase()})` : ''}
          <button type="button" className="link" onClick={onSignOut}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <ErrorBox error={whoError} what="read who this key belongs to" />
        <Suspense fallback={<p aria-busy="true">Loading…</p>}>
          {page === 'datasets' && <Datasets route={route} />}
          {page === 'experiments' && <Experiments route={route} />}
          {page === 'deployments' && <Deployments route={route} />}
          {page === 'course' && <Course route={route} />}
          {!['datasets', 'experiments', 'deployments', 'course'].includes(page) && <p>No page here. Pick one above.</p>}
        </Suspense>
      </main>
    </>
  );
}

function SignIn({ onSignedIn, notice }: { onSignedIn: (s: Session, who: Whoami) => void; notice?: string }) {
  const [key, setKey] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const s = { key: key.trim(), baseUrl: baseUrl.trim().replace(/\/$/, '') };
    useSessionForRequests(s, () => undefined);
    try {
      onSignedIn(s, await api.whoami());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <h1>Trainyard console</h1>
      {notice && <p role="status">{notice}</p>}
      <form onSubmit={submit}>
        <label htmlFor="api-key">API key</label>
        <input id="api-key" type="password" autoComplete="off" required value={key} onChange={(e) => setKey(e.target.value)} placeholder="ty_…" />
        <details>
          <summary>Another server</summary>
          <label htmlFor="base-url">Server URL (empty: this one)</label>
          <input id="base-url" type="url" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} placeholder="https://trainyard.example.com" />
        </details>
        <button type="submit" disabled={busy || !key.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <ErrorBox error={error} what="sign in" />
        <p className="hint">
          The key stays in this tab's session storage and is sent only to the server. Make one with <code>npm run team:create</code> or{' '}
          <code>createApiKey</code>.
        </p>
      </form>
    </main>
  );
}
