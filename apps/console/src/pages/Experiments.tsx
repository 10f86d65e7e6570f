import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { download } from '../api';
import { Chart, color } from '../components/Chart';
import { ErrorBox } from '../components/ErrorBox';
import { Heatmap } from '../components/Heatmap';
import { More } from '../components/More';
import { useAction, useInterval, useLoad } from '../hooks';
import { api, Experiment, ExperimentSummary, LossPoint } from '../queries';
import { go } from '../router';

const LIVE = ['QUEUED', 'RUNNING'];
// The form carries the engine's registries (and zod): its own chunk, loaded when it opens.
const SubmitForm = lazy(() => import('./SubmitForm'));

export default function Experiments({ route }: { route: string[] }) {
  if (route[1] === 'new') {
    return (
      <Suspense fallback={<p aria-busy="true">Loading…</p>}>
        <SubmitForm datasetId={route[2]} onSubmitted={(id) => go('experiments', id)} />
      </Suspense>
    );
  }
  if (route[1]) return <ExperimentDetail key={route[1]} id={route[1]} />;
  return <ExperimentList />;
}

function ExperimentList() {
  const [limit, setLimit] = useState(50);
  const page = useLoad(() => api.experiments(null, limit), [limit]);
  const list = { ...page, data: page.data?.items };
  const [compare, setCompare] = useState<string[]>([]);
  const live = (list.data ?? []).some((e) => LIVE.includes(e.status));
  useInterval(() => void page.reload(), 2000, live);
  const toggle = (id: string) => setCompare((c) => (c.includes(id) ? c.filter((x) => x !== id) : [...c, id]));
  const chosen = (list.data ?? []).filter((e) => compare.includes(e.id));
  return (
    <section aria-labelledby="exp-title">
      <div className="row-between">
        <h1 id="exp-title">Experiments</h1>
        <a className="button" href="#/experiments/new">
          New experiment
        </a>
      </div>
      <ErrorBox error={list.error} what="list the experiments" />
      {list.data && list.data.length === 0 && <p>No experiments yet.</p>}
      {list.data && list.data.length > 0 && (
        <table>
          <caption className="visually-hidden">Experiments, newest first; tick several to compare their loss curves</caption>
          <thead>
            <tr>
              <th scope="col">Compare</th>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col">Test accuracy</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((e) => (
              <tr key={e.id}>
                <td>
                  <input type="checkbox" aria-label={`Compare ${e.name}`} checked={compare.includes(e.id)} onChange={() => toggle(e.id)} />
                </td>
                <td>
                  <a href={`#/experiments/${e.id}`}>{e.name}</a>
                </td>
                <td>
                  <span className={`status s-${e.status}`}>{e.status}</span>
                  {e.failureReason ? <small> {e.failureReason}</small> : null}
                </td>
                <td>
                  <ProgressText e={e} />
                </td>
                <td>{e.metrics ? pct(e.metrics.accuracy) : '–'}</td>
                <td>{new Date(e.createdAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <More page={page.data} limit={limit} setLimit={setLimit} what="experiments" />
      {chosen.length > 0 && <Compare runs={chosen} />}
    </section>
  );
}

function ProgressText({ e }: { e: ExperimentSummary }) {
  const { step, totalSteps, epoch, samplesPerSecond } = e.progress;
  return (
    <>
      <progress max={totalSteps || 1} value={step} aria-label={`${e.name}: step ${step} of ${totalSteps}`} /> {step}/{totalSteps} · epoch {epoch}
      {samplesPerSecond ? ` · ${Math.round(samplesPerSecond)} samples/s` : ''}
    </>
  );
}

/** Loss curves of several runs on one chart (each run's whole series). */
function Compare({ runs }: { runs: ExperimentSummary[] }) {
  const ids = runs.map((r) => r.id).join(',');
  const series = useLoad(() => Promise.all(runs.map((r) => allLosses(r.id))), [ids]);
  return (
    <section aria-labelledby="cmp-title" className="card">
      <h2 id="cmp-title">Compare: {runs.map((r) => r.name).join(', ')}</h2>
      <ErrorBox error={series.error} what="load the loss series" />
      {series.data && (
        <Chart
          title="Training loss by step"
          xLabel="step"
          yLabel="loss"
          testId="compare-chart"
          summary={runs.map((r, i) => `${r.name}: ${series.data![i].length} points, last loss ${series.data![i].at(-1)?.loss.toFixed(4) ?? 'none'}`).join('; ')}
          series={runs.map((r, i) => ({ label: r.name, color: color(i), points: series.data![i].map((p) => [p.step, p.loss] as [number, number]) }))}
        />
      )}
    </section>
  );
}

/** The loss series after `after` (a lossPoints cursor), every page; returns the points and the last cursor. */
async function lossesAfter(id: string, after: string | null): Promise<{ points: LossPoint[]; cursor: string | null }> {
  const points: LossPoint[] = [];
  for (;;) {
    const page = await api.lossPoints(id, after);
    points.push(...page.items);
    after = page.endCursor ?? after;
    if (!page.hasNextPage) return { points, cursor: after };
  }
}

const allLosses = (id: string) => lossesAfter(id, null).then((r) => r.points);

function ExperimentDetail({ id }: { id: string }) {
  const exp = useLoad(() => api.experiment(id), [id]);
  const [losses, setLosses] = useState<LossPoint[]>([]);
  const [lossError, setLossError] = useState<unknown>();
  const cursor = useRef<string | null>(null);
  const fetching = useRef(false);
  const e = exp.data;
  const live = !e || LIVE.includes(e.status);

  const pullLosses = async () => {
    if (fetching.current) return;
    fetching.current = true;
    try {
      const fresh = await lossesAfter(id, cursor.current);
      cursor.current = fresh.cursor;
      if (fresh.points.length) setLosses((l) => [...l, ...fresh.points]);
      setLossError(undefined);
    } catch (err) {
      setLossError(err);
    } finally {
      fetching.current = false;
    }
  };
  useEffect(() => {
    void pullLosses();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);
  useInterval(
    () => {
      void exp.reload();
      void pullLosses();
    },
    1000,
    live,
  );
  // One last pull when the run ends, so the chart holds the whole series.
  const status = e?.status;
  useEffect(() => {
    if (status && !LIVE.includes(status)) void pullLosses();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [status]);

  const cancel = useAction(async () => {
    await api.cancelExperiment(id);
    await exp.reload();
  });
  const resume = useAction(async () => {
    await api.resumeExperiment(id);
    await exp.reload();
  });

  if (exp.error && !e) return <ErrorBox error={exp.error} what="read the experiment" />;
  if (!e) return <p aria-busy="true">Loading…</p>;
  const names = e.metrics?.perClass.map((c, i) => c.name ?? String(i)) ?? [];
  const epochs = e.epochSummaries;
  const valAcc = epochs.filter((s) => typeof s.validation?.accuracy === 'number');
  return (
    <article aria-labelledby="e-title">
      <p>
        <a href="#/experiments">← All experiments</a>
      </p>
      <div className="row-between">
        <h1 id="e-title">{e.name}</h1>
        <div className="actions">
          {LIVE.includes(e.status) && (
            <button type="button" onClick={() => void cancel.run()} disabled={cancel.busy || e.cancelRequested}>
              {e.cancelRequested ? 'Cancelling…' : 'Cancel'}
            </button>
          )}
          {['FAILED', 'CANCELLED'].includes(e.status) && (
            <button type="button" onClick={() => void resume.run()} disabled={resume.busy}>
              Resume
            </button>
          )}
        </div>
      </div>
      <ErrorBox error={cancel.error} what="cancel" />
      <ErrorBox error={resume.error} what="resume" />
      <ErrorBox error={exp.error} what="refresh the experiment" />
      <dl className="facts">
        <dt>Status</dt>
        <dd data-testid="experiment-status">
          <span className={`status s-${e.status}`}>{e.status}</span>
        </dd>
        <dt>Progress</dt>
        <dd>
          <ProgressText e={e} />
        </dd>
        <dt>Model</dt>
        <dd>{String((e.spec.model as { name?: string } | undefined)?.name ?? '–')}</dd>
        <dt>Optimizer</dt>
        <dd>{describeOptimizer(e.spec)}</dd>
        <dt>Backend</dt>
        <dd>{e.backend ?? '–'}</dd>
      </dl>
      {e.failureReason && (
        <div role="alert" className="error">
          The run failed: {e.failureReason}
        </div>
      )}
      <ErrorBox error={lossError} what="load the loss series" />
      <div className="grid2">
        <Chart
          title="Training loss and learning rate"
          xLabel="step"
          yLabel="loss"
          y2Label="learning rate"
          testId="loss-chart"
          summary={losses.length ? `${losses.length} points up to step ${losses.at(-1)!.step}; last loss ${losses.at(-1)!.loss.toFixed(4)}` : 'no points yet'}
          series={[
            { label: 'loss', color: color(0), points: losses.map((p) => [p.step, p.loss]) },
            { label: 'learning rate', color: color(4), scale: 'y2', dash: true, points: losses.filter((p) => p.lr !== null).map((p) => [p.step, p.lr!]) },
          ]}
        />
        <Chart
          title="Accuracy by epoch"
          xLabel="step"
          yLabel="accuracy"
          testId="accuracy-chart"
          summary={
            epochs.length
              ? epochs.map((s) => `epoch ${s.epoch}: train ${s.accuracy === null ? '–' : pct(s.accuracy)}${typeof s.validation?.accuracy === 'number' ? `, validation ${pct(s.validation.accuracy)}` : ''}`).join('; ')
              : 'no finished epoch yet'
          }
          series={[
            { label: 'train accuracy', color: color(0), points: epochs.filter((s) => s.accuracy !== null).map((s) => [s.step, s.accuracy!]) },
            { label: 'validation accuracy', color: color(2), points: valAcc.map((s) => [s.step, s.validation!.accuracy]) },
            ...(e.metrics ? [{ label: 'test accuracy (final)', color: color(1), points: [[e.progress.step, e.metrics.accuracy]] as Array<[number, number]> }] : []),
          ]}
        />
      </div>
      {e.metrics ? (
        <section aria-labelledby="m-title">
          <h2 id="m-title">Test metrics</h2>
          <dl className="facts" data-testid="metrics">
            <dt>Accuracy</dt>
            <dd>{pct(e.metrics.accuracy)}</dd>
            <dt>Loss</dt>
            <dd>{e.metrics.loss.toFixed(4)}</dd>
            <dt>Precision / recall / F1 (macro)</dt>
            <dd>
              {e.metrics.precision.toFixed(3)} / {e.metrics.recall.toFixed(3)} / {e.metrics.f1.toFixed(3)}
            </dd>
            {e.metrics.topKAccuracy !== null && (
              <>
                <dt>Top-{e.metrics.topK} accuracy</dt>
                <dd>{pct(e.metrics.topKAccuracy)}</dd>
              </>
            )}
          </dl>
          <div className="grid2">
            <section aria-labelledby="cm-title">
              <h3 id="cm-title">Confusion matrix</h3>
              <Heatmap matrix={e.metrics.confusionMatrix} names={names} />
            </section>
            <section aria-labelledby="pc-title">
              <h3 id="pc-title">Per class</h3>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Class</th>
                    <th scope="col">Precision</th>
                    <th scope="col">Recall</th>
                    <th scope="col">F1</th>
                    <th scope="col">Support</th>
                  </tr>
                </thead>
                <tbody>
                  {e.metrics.perClass.map((c, i) => (
                    <tr key={i}>
                      <th scope="row">{c.name ?? i}</th>
                      <td>{c.precision.toFixed(3)}</td>
                      <td>{c.recall.toFixed(3)}</td>
                      <td>{c.f1.toFixed(3)}</td>
                      <td>{c.support}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
        </section>
      ) : (
        <p>Test metrics appear when the run has been evaluated.</p>
      )}
      <Checkpoints e={e} />
    </article>
  );
}

function Checkpoints({ e }: { e: Experiment }) {
  const [name, setName] = useState(() => e.name.replace(/[^A-Za-z0-9_.-]+/g, '-').toLowerCase() || 'model');
  const deploy = useAction(async (checkpointId: string) => {
    const d = await api.deployCheckpoint(name.trim(), checkpointId);
    go('deployments', d.name);
  });
  const dl = useAction((id: string, step: number) => download(`/v1/checkpoints/${id}`, `${e.name}-step${step}.ckpt`));
  return (
    <section aria-labelledby="ck-title">
      <h2 id="ck-title">Checkpoints</h2>
      {e.checkpoints.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <>
          <label htmlFor="deploy-name">Deploy as model name</label>
          <input id="deploy-name" value={name} maxLength={128} onChange={(ev) => setName(ev.target.value)} />
          <table>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Epoch</th>
                <th scope="col">Size</th>
                <th scope="col">Saved</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {e.checkpoints.map((c) => (
                <tr key={c.id}>
                  <td>{c.step}</td>
                  <td>{c.epoch}</td>
                  <td>{(c.sizeBytes / 1024).toFixed(0)} KiB</td>
                  <td>{new Date(c.createdAt).toLocaleString()}</td>
                  <td className="actions">
                    <button type="button" onClick={() => void deploy.run(c.id)} disabled={deploy.busy || !name.trim()}>
                      Deploy step {c.step}
                    </button>
                    <button type="button" className="secondary" onClick={() => void dl.run(c.id, c.step)} disabled={dl.busy}>
                      Download
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <ErrorBox error={deploy.error} what="deploy" />
      <ErrorBox error={dl.error} what="download the checkpoint" />
    </section>
  );
}

function describeOptimizer(spec: Record<string, unknown>): string {
  const o = spec.optimizer as { name?: string; learningRate?: number } | undefined;
  const s = spec.schedule as { name?: string } | undefined;
  return o ? `${o.name} (lr ${o.learningRate})${s?.name ? `, ${s.name} schedule` : ''}` : '–';
}

export const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
