import { useRef, useState } from 'react';
import { getJson, postBytes, postJson } from '../api';
import { Bars } from '../components/Bars';
import { DigitPad, DigitPadHandle } from '../components/DigitPad';
import { ErrorBox } from '../components/ErrorBox';
import { More } from '../components/More';
import { useAction, useLoad } from '../hooks';
import { api, ServedModel } from '../queries';

export default function Deployments({ route }: { route: string[] }) {
  // Each model carries its versions and labels: 20 a page keeps the query under the API's cost limit.
  const [limit, setLimit] = useState(20);
  const page = useLoad(() => api.models(null, limit), [limit]);
  const models = { ...page, data: page.data?.items };
  const selected = route[1] ?? models.data?.[0]?.name;
  const model = models.data?.find((m) => m.name === selected);
  return (
    <div className="split">
      <section aria-labelledby="dep-title" className="side">
        <h1 id="dep-title">Deployments</h1>
        <ErrorBox error={models.error} what="list the deployed models" />
        {models.data && models.data.length === 0 && <p>Nothing deployed yet: deploy a checkpoint from an experiment's page.</p>}
        <ul className="pick">
          {(models.data ?? []).map((m) => (
            <li key={m.id}>
              <a href={`#/deployments/${encodeURIComponent(m.name)}`} aria-current={m.name === selected ? 'true' : undefined}>
                <strong>{m.name}</strong>
                <br />
                <small>
                  {m.versions.length} version{m.versions.length === 1 ? '' : 's'}, default {m.defaultVersion ?? 'none'}
                </small>
              </a>
            </li>
          ))}
        </ul>
        <More page={page.data} limit={limit} setLimit={setLimit} what="models" max={20} />
      </section>
      <section className="detail">
        {model ? (
          <>
            <ModelDetail key={model.name} model={model} reload={() => void models.reload()} />
            <TryIt key={`try-${model.name}`} model={model} />
          </>
        ) : (
          selected && models.data && <p role="alert">No deployed model named {selected}.</p>
        )}
      </section>
    </div>
  );
}

function ModelDetail({ model, reload }: { model: ServedModel; reload: () => void }) {
  const act = useAction(async (what: () => Promise<unknown>) => {
    await what();
    reload();
  });
  const [label, setLabel] = useState('stable');
  const [labelVersion, setLabelVersion] = useState(String(model.defaultVersion ?? model.versions[0]?.version ?? ''));
  const [splitVersion, setSplitVersion] = useState(String(model.trafficSplit?.version ?? model.versions.find((v) => !v.isDefault)?.version ?? ''));
  const [percent, setPercent] = useState(String(model.trafficSplit?.percent ?? 10));
  return (
    <article aria-labelledby="m-name">
      <h2 id="m-name">{model.name}</h2>
      <ErrorBox error={act.error} what="change the deployment" />
      <table>
        <caption className="visually-hidden">Versions of {model.name}</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Checkpoint</th>
            <th scope="col">Labels</th>
            <th scope="col">Deployed</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {model.versions.map((v) => (
            <tr key={v.version}>
              <td>
                {v.version} {v.isDefault && <span className="badge">default</span>}
              </td>
              <td>
                step {v.step} of <a href={`#/experiments/${v.experimentId}`}>its experiment</a>
              </td>
              <td>{v.labels.join(', ') || '–'}</td>
              <td>
                {new Date(v.createdAt).toLocaleString()}
                {v.deployedBy ? ` by ${v.deployedBy}` : ''}
              </td>
              <td className="actions">
                {!v.isDefault && (
                  <button type="button" disabled={act.busy} onClick={() => void act.run(() => api.setDefaultVersion(model.name, v.version))}>
                    Make default
                  </button>
                )}
                <button
                  type="button"
                  className="secondary"
                  disabled={act.busy}
                  onClick={() => {
                    if (confirm(`Undeploy version ${v.version} of ${model.name}?`)) void act.run(() => api.undeployVersion(model.name, v.version));
                  }}
                >
                  Undeploy
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <button type="button" className="secondary" disabled={act.busy} onClick={() => void act.run(() => api.rollbackModel(model.name))}>
          Roll back to the previous default
        </button>
      </p>
      <div className="grid2">
        <form
          className="card"
          onSubmit={(e) => {
            e.preventDefault();
            void act.run(() => api.setVersionLabel(model.name, label.trim(), labelVersion === '' ? null : Number(labelVersion)));
          }}
        >
          <h3>Labels</h3>
          <p>{model.labels.length ? model.labels.map((l) => `${l.label} → ${l.version}`).join(', ') : 'No labels.'}</p>
          <label htmlFor="lbl-name">Label</label>
          <input id="lbl-name" required value={label} onChange={(e) => setLabel(e.target.value)} />
          <label htmlFor="lbl-version">Version</label>
          <select id="lbl-version" value={labelVersion} onChange={(e) => setLabelVersion(e.target.value)}>
            {model.versions.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
              </option>
            ))}
            <option value="">(remove the label)</option>
          </select>
          <button type="submit" disabled={act.busy}>
            Set label
          </button>
        </form>
        <form
          className="card"
          onSubmit={(e) => {
            e.preventDefault();
            void act.run(() => api.setTrafficSplit(model.name, splitVersion === '' ? null : Number(splitVersion), Number(percent)));
          }}
        >
          <h3>Traffic</h3>
          <p>
            {model.trafficSplit
              ? `${100 - model.trafficSplit.percent}% to the default (${model.defaultVersion}), ${model.trafficSplit.percent}% to version ${model.trafficSplit.version}.`
              : `All default-routed calls go to version ${model.defaultVersion ?? '–'}.`}
          </p>
          <label htmlFor="split-version">Send a share to version</label>
          <select id="split-version" value={splitVersion} onChange={(e) => setSplitVersion(e.target.value)}>
            <option value="">(none: stop the split)</option>
            {model.versions
              .filter((v) => !v.isDefault)
              .map((v) => (
                <option key={v.version} value={v.version}>
                  {v.version}
                </option>
              ))}
          </select>
          <label htmlFor="split-percent">Percent</label>
          <input id="split-percent" type="number" min={0} max={100} value={percent} onChange={(e) => setPercent(e.target.value)} />
          <button type="submit" disabled={act.busy}>
            Set traffic split
          </button>
        </form>
      </div>
    </article>
  );
}

interface Metadata {
  trainyard: { raw_input_shape: number[]; class_names: string[]; runtime: string; version: number };
}

/** Draw a digit or drop an image; the serve role's TF Serving predict route answers with probabilities. */
function TryIt({ model }: { model: ServedModel }) {
  const [version, setVersion] = useState('');
  const base = `/v1/models/${encodeURIComponent(model.name)}${version ? `/versions/${version}` : ''}`;
  const meta = useLoad(() => getJson<Metadata>(`${base}/metadata`), [base]);
  const pad = useRef<DigitPadHandle | null>(null);
  const [hasInk, setHasInk] = useState(false);
  const [result, setResult] = useState<{ probs: number[]; source: string; ms: number }>();
  const [over, setOver] = useState(false);
  const predict = useAction(async (body: { pixels?: number[]; image?: Blob }, source: string) => {
    const t0 = performance.now();
    const r = body.image
      ? await postBytes<{ predictions: number[][] }>(`${base}:predict`, body.image)
      : await postJson<{ predictions: number[][] }>(`${base}:predict`, { instances: [body.pixels] });
    setResult({ probs: r.predictions[0], source, ms: performance.now() - t0 });
  });
  const shape = meta.data?.trainyard.raw_input_shape ?? [28, 28, 1];
  const names = meta.data?.trainyard.class_names ?? [];
  const best = result ? result.probs.indexOf(Math.max(...result.probs)) : -1;

  const fromDrawing = () => {
    if (!pad.current?.hasInk()) return;
    const [h, w, c] = shape;
    void predict.run({ pixels: pad.current.toPixels(w, h, c ?? 1) }, 'your drawing');
  };
  const fromFile = (file: File | undefined) => {
    // Anything that is not an image gets the server's own 4xx in words.
    if (file) void predict.run({ image: file }, file.name);
  };

  return (
    <section aria-labelledby="try-title" className="card try">
      <h2 id="try-title">Try it</h2>
      <ErrorBox error={meta.error} what="read the model's metadata" />
      <label htmlFor="try-version">Version</label>
      <select id="try-version" value={version} onChange={(e) => setVersion(e.target.value)}>
        <option value="">default (or the traffic split)</option>
        {model.versions.map((v) => (
          <option key={v.version} value={v.version}>
            {v.version}
          </option>
        ))}
      </select>
      <p className="hint">
        Input: {shape.join(' × ')} raw pixels{meta.data ? `, runtime ${meta.data.trainyard.runtime}` : ''}. Draw white on black; the drawing is scaled into the model's input as MNIST digits
        were.
      </p>
      <div className="try-grid">
        <div>
          <DigitPad padRef={pad} onChange={setHasInk} />
          <div className="actions">
            <button type="button" onClick={fromDrawing} disabled={!hasInk || predict.busy}>
              Predict the drawing
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => {
                pad.current?.clear();
                setResult(undefined);
              }}
            >
              Clear
            </button>
          </div>
          <div
            className={`drop small ${over ? 'over' : ''}`}
            onDragOver={(e) => {
              e.preventDefault();
              setOver(true);
            }}
            onDragLeave={() => setOver(false)}
            onDrop={(e) => {
              e.preventDefault();
              setOver(false);
              fromFile(e.dataTransfer.files[0]);
            }}
          >
            <label htmlFor="try-file">Or drop an image here, or choose one:</label>
            <input id="try-file" type="file" accept="image/*" onChange={(e) => fromFile(e.target.files?.[0])} />
          </div>
        </div>
        <div aria-live="polite">
          <ErrorBox error={predict.error} what="predict" />
          {result && (
            <>
              <p data-testid="prediction">
                Prediction for {result.source}: <strong className="big">{names[best] ?? best}</strong> ({(result.probs[best] * 100).toFixed(1)}%, {result.ms.toFixed(0)} ms)
              </p>
              <Bars label="Class probabilities" labels={result.probs.map((_, i) => names[i] ?? String(i))} values={result.probs} format={(v) => `${(v * 100).toFixed(1)}%`} highlight={best} />
            </>
          )}
        </div>
      </div>
    </section>
  );
}
