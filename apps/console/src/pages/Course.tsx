import { useState } from 'react';
import { ErrorBox } from '../components/ErrorBox';
import { useAction, useLoad } from '../hooks';
import { api, Assignment } from '../queries';

/** Course mode: assignments, the caller's submissions and quotas, and the leaderboard. */
export default function Course({ route }: { route: string[] }) {
  const list = useLoad(() => api.assignments(), []);
  const selected = route[1] ?? list.data?.[0]?.id;
  const a = list.data?.find((x) => x.id === selected);
  return (
    <div className="split">
      <section aria-labelledby="course-title" className="side">
        <h1 id="course-title">Assignments</h1>
        <ErrorBox error={list.error} what="list the assignments" />
        {list.data && list.data.length === 0 && <p>No assignments yet.</p>}
        <ul className="pick">
          {(list.data ?? []).map((x) => (
            <li key={x.id}>
              <a href={`#/course/${x.id}`} aria-current={x.id === selected ? 'true' : undefined}>
                <strong>{x.name}</strong>
                <br />
                <small>due {new Date(x.yourDeadline).toLocaleString()}</small>
              </a>
            </li>
          ))}
        </ul>
      </section>
      <section className="detail">{a && <AssignmentDetail key={a.id} a={a} reload={() => void list.reload()} />}</section>
    </div>
  );
}

function AssignmentDetail({ a, reload }: { a: Assignment; reload: () => void }) {
  const board = useLoad(() => api.leaderboard(a.id), [a.id]);
  const experiments = useLoad(() => api.experiments(null, 200, ['SUCCEEDED']), []);
  const [experimentId, setExperimentId] = useState('');
  const submit = useAction(async () => {
    const id = experimentId || done[0]?.id;
    if (!id) throw new Error('Pick a finished experiment to hand in.');
    await api.submitToAssignment(a.id, id);
    reload();
    await board.reload();
  });
  const done = experiments.data?.items ?? [];
  const q = a.quota;
  return (
    <article aria-labelledby="a-title">
      <h2 id="a-title">{a.name}</h2>
      <dl className="facts">
        <dt>Metric</dt>
        <dd>
          {a.primaryMetric} ({a.direction.toLowerCase()})
        </dd>
        <dt>Models allowed</dt>
        <dd>{a.allowedModels.join(', ') || 'any'}</dd>
        <dt>Max epochs</dt>
        <dd>{a.maxEpochs ?? 'no limit'}</dd>
        <dt>Opens</dt>
        <dd>{new Date(a.opensAt).toLocaleString()}</dd>
        <dt>Your deadline</dt>
        <dd>{new Date(a.yourDeadline).toLocaleString()}</dd>
        <dt>Submissions left</dt>
        <dd data-testid="remaining">
          {q.remainingToday ?? '∞'} today (resets {new Date(q.resetsAt).toLocaleString()}), {q.remainingTotal ?? '∞'} in total, {q.inFlight} being scored
        </dd>
      </dl>
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run();
        }}
      >
        <label htmlFor="hand-in">Hand in an experiment (its last checkpoint)</label>
        <select id="hand-in" value={experimentId} onChange={(e) => setExperimentId(e.target.value)}>
          {done.map((e) => (
            <option key={e.id} value={e.id}>
              {e.name} ({new Date(e.createdAt).toLocaleString()})
            </option>
          ))}
        </select>
        <button type="submit" disabled={submit.busy || done.length === 0}>
          Submit
        </button>
        <ErrorBox error={submit.error} what="submit" />
        <ErrorBox error={experiments.error} what="list your experiments" />
      </form>
      <h3>Your submissions</h3>
      {a.submissions.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Status</th>
              <th scope="col">Public score</th>
              <th scope="col">Private score</th>
              <th scope="col">Late</th>
              <th scope="col">Final</th>
            </tr>
          </thead>
          <tbody>
            {a.submissions.map((s) => (
              <tr key={s.id}>
                <td>{new Date(s.createdAt).toLocaleString()}</td>
                <td>
                  {s.status}
                  {s.failureReason ? `: ${s.failureReason}` : ''}
                </td>
                <td>{s.publicScore ?? '–'}</td>
                <td>{s.privateScore ?? (a.privateRevealed ? '–' : 'hidden until the reveal')}</td>
                <td>{s.late ? 'yes' : 'no'}</td>
                <td>{s.final ? 'yes' : 'no'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Leaderboard {board.data?.private ? '(private)' : '(public)'}</h3>
      <ErrorBox error={board.error} what="load the leaderboard" />
      {board.data && (
        <table>
          <thead>
            <tr>
              <th scope="col">Rank</th>
              <th scope="col">Name</th>
              <th scope="col">{board.data.metric}</th>
              <th scope="col">Submissions</th>
            </tr>
          </thead>
          <tbody>
            {board.data.rows.map((r, i) => (
              <tr key={i}>
                <td>{r.rank ?? '–'}</td>
                <td>{r.name}</td>
                <td>{r.score ?? '–'}</td>
                <td>{r.submissions}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </article>
  );
}
