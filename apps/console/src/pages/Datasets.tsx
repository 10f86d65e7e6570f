import { useEffect, useRef, useState } from 'react';
import { fetchDataUrl, putWithProgress } from '../api';
import { Bars } from '../components/Bars';
import { ErrorBox } from '../components/ErrorBox';
import { More } from '../components/More';
import { useInterval, useLoad } from '../hooks';
import { api, DatasetSummary, DatasetVersion } from '../queries';
import { go } from '../router';

/** The formats the server's registry knows (libs/data/src/formats/registry.ts). */
const FORMATS: Array<[string, string]> = [
  ['idx', 'idx: MNIST-style, four files (train/test images and labels, gzipped or not)'],
  ['imagefolder', 'imagefolder: a .zip / .tar / .tar.gz of one folder per class'],
  ['cifar10', 'cifar10: the CIFAR-10 binary .tar.gz'],
  ['cifar100', 'cifar100: the CIFAR-100 binary .tar.gz'],
  ['csv', 'csv: a table with a label column'],
];

const IDX_SLUGS: Array<[string, RegExp]> = [
  ['train-images', /train-images|train.*idx3/i],
  ['train-labels', /train-labels|train.*idx1/i],
  ['test-images', /t10k-images|test-images|(t10k|test).*idx3/i],
  ['test-labels', /t10k-labels|test-labels|(t10k|test).*idx1/i],
];

/** Which idx file a dropped file is, from its name (MNIST's own names or ours). */
export function idxSlug(name: string): string | undefined {
  return IDX_SLUGS.find(([, re]) => re.test(name))?.[0];
}

export default function Datasets({ route }: { route: string[] }) {
  const [limit, setLimit] = useState(50);
  const list = useLoad(() => api.datasets(null, limit), [limit]);
  const selected = route[1];
  const datasets = list.data?.items ?? [];
  return (
    <div className="split">
      <section aria-labelledby="ds-list" className="side">
        <h1 id="ds-list">Datasets</h1>
        <ErrorBox error={list.error} what="list the datasets" />
        {list.loading && !list.data && <p aria-busy="true">Loading…</p>}
        {list.data && datasets.length === 0 && <p>No datasets yet: upload one below.</p>}
        <ul className="pick">
          {datasets.map((d) => (
            <li key={d.id}>
              <a href={`#/datasets/${d.id}`} aria-current={d.id === selected ? 'true' : undefined}>
                <strong>{d.name}</strong> <span className={`status s-${d.currentVersion?.status ?? d.status}`}>{d.currentVersion?.status ?? d.status}</span>
                <br />
                <small>
                  {d.trainCount ?? '–'} train · {d.testCount ?? '–'} test · {d.numClasses ?? '–'} classes
                </small>
              </a>
            </li>
          ))}
        </ul>
        <More page={list.data} limit={limit} setLimit={setLimit} what="datasets" />
        <Upload
          datasets={datasets}
          onStarted={(id) => {
            void list.reload();
            go('datasets', id);
          }}
        />
      </section>
      <section className="detail">{selected ? <DatasetDetail key={selected} id={selected} onChange={() => void list.reload()} /> : <p>Pick a dataset to see its samples, classes and versions.</p>}</section>
    </div>
  );
}

interface FileProgress {
  name: string;
  sent: number;
  total: number;
  done: boolean;
}

function Upload({ datasets, onStarted }: { datasets: DatasetSummary[]; onStarted: (datasetId: string) => void }) {
  const [target, setTarget] = useState('new');
  const [name, setName] = useState('mnist');
  const [format, setFormat] = useState('idx');
  const [files, setFiles] = useState<File[]>([]);
  const [progress, setProgress] = useState<FileProgress[]>([]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const take = (list: FileList | null) => {
    if (!list) return;
    setFiles(Array.from(list));
    setError(undefined);
  };

  const upload = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(undefined);
    if (files.length === 0) return setError(new Error('Choose or drop the files to upload first.'));
    let idxPlan: Array<[File, string]> = [];
    if (format === 'idx') {
      idxPlan = files.map((f) => [f, idxSlug(f.name) ?? ''] as [File, string]);
      const unknown = idxPlan.filter(([, s]) => !s).map(([f]) => f.name);
      if (unknown.length) return setError(new Error(`Cannot tell which idx file ${unknown.join(', ')} is: name it train-images, train-labels, test-images or test-labels (MNIST's own names work too).`));
      const missing = IDX_SLUGS.map(([s]) => s).filter((s) => !idxPlan.some(([, t]) => t === s));
      if (missing.length) return setError(new Error(`An idx dataset needs four files; missing: ${missing.join(', ')}.`));
    }
    setBusy(true);
    const state: FileProgress[] = files.map((f) => ({ name: f.name, sent: 0, total: f.size, done: false }));
    setProgress(state.map((p) => ({ ...p })));
    const tick = (i: number, sent: number, total: number) => {
      state[i] = { ...state[i], sent, total, done: sent >= total };
      setProgress(state.map((p) => ({ ...p })));
    };
    try {
      const datasetId = target === 'new' ? (await api.createDataset(name.trim())).id : target;
      onStarted(datasetId);
      if (format === 'idx') {
        // The fourth file starts the ingest on a worker.
        for (const [i, [file, slug]] of idxPlan.entries()) {
          await putWithProgress(`/v1/datasets/${datasetId}/files/${slug}`, file, (s, t) => tick(i, s, t));
        }
      } else {
        const version = await api.createDatasetVersion(datasetId, format);
        for (const [i, file] of files.entries()) {
          await putWithProgress(`${version.uploadUrl}/${encodeURIComponent(file.name)}`, file, (s, t) => tick(i, s, t));
        }
        await api.ingestDatasetVersion(version.id);
      }
      setFiles([]);
      onStarted(datasetId);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={upload} aria-labelledby="upload-title">
      <h2 id="upload-title">Upload</h2>
      <label htmlFor="up-target">Into</label>
      <select id="up-target" value={target} onChange={(e) => setTarget(e.target.value)}>
        <option value="new">a new dataset</option>
        {datasets.map((d) => (
          <option key={d.id} value={d.id}>
            a new version of {d.name}
          </option>
        ))}
      </select>
      {target === 'new' && (
        <>
          <label htmlFor="up-name">Name</label>
          <input id="up-name" required maxLength={128} value={name} onChange={(e) => setName(e.target.value)} />
        </>
      )}
      <label htmlFor="up-format">Format</label>
      <select id="up-format" value={format} onChange={(e) => setFormat(e.target.value)}>
        {FORMATS.map(([id, text]) => (
          <option key={id} value={id}>
            {text}
          </option>
        ))}
      </select>
      <div
        className={`drop ${over ? 'over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          take(e.dataTransfer.files);
        }}
      >
        <p>Drop files here, or</p>
        <label htmlFor="up-files" className="button">
          Choose files…
        </label>
        <input id="up-files" ref={input} className="visually-hidden" type="file" multiple onChange={(e) => take(e.target.files)} />
        {files.length > 0 && (
          <ul aria-label="Files to upload">
            {files.map((f) => (
              <li key={f.name}>
                {f.name} ({formatBytes(f.size)}){format === 'idx' ? ` → ${idxSlug(f.name) ?? '?'}` : ''}
              </li>
            ))}
          </ul>
        )}
      </div>
      <button type="submit" disabled={busy}>
        {busy ? 'Uploading…' : 'Upload'}
      </button>
      {progress.length > 0 && (
        <ul className="progress-list" aria-label="Upload progress">
          {progress.map((p) => (
            <li key={p.name}>
              <label>
                {p.name}: {p.done ? 'done' : `${formatBytes(p.sent)} of ${formatBytes(p.total)}`}
                <progress max={p.total || 1} value={p.sent} />
              </label>
            </li>
          ))}
        </ul>
      )}
      <ErrorBox error={error} what="upload" />
    </form>
  );
}

function DatasetDetail({ id, onChange }: { id: string; onChange: () => void }) {
  const ds = useLoad(() => api.dataset(id), [id]);
  const d = ds.data;
  const version = d?.currentVersion ?? d?.versions[0] ?? null;
  const settling = !!d && (!version || version.status === 'UPLOADING' || version.status === 'INGESTING');
  useInterval(() => void ds.reload().then(() => onChange()), 1000, settling);
  if (ds.error && !d) return <ErrorBox error={ds.error} what="read the dataset" />;
  if (!d) return <p aria-busy="true">Loading…</p>;
  const names = version?.classNames.length ? version.classNames : d.classHistogram.map((_, i) => String(i));
  return (
    <article aria-labelledby="ds-title">
      <h2 id="ds-title">{d.name}</h2>
      <ErrorBox error={ds.error} what="refresh the dataset" />
      <dl className="facts">
        <dt>Status</dt>
        <dd data-testid="dataset-status">{version?.status ?? d.status}</dd>
        <dt>Samples</dt>
        <dd>
          {d.trainCount ?? '–'} train, {d.testCount ?? '–'} test
        </dd>
        <dt>Sample shape</dt>
        <dd>{(version?.sampleShape ?? d.imageShape).join(' × ') || '–'}</dd>
        <dt>Classes</dt>
        <dd>{d.numClasses ?? '–'}</dd>
      </dl>
      {version?.failureReason && <div role="alert" className="error">Ingest failed: {version.failureReason}</div>}
      {settling && <p role="status">Waiting for the files and the ingest ({version?.status ?? 'no version yet'})…</p>}
      <div className="grid2">
        <section aria-labelledby="hist-title">
          <h3 id="hist-title">Class histogram (train)</h3>
          {d.classHistogram.length ? <Bars label="Train samples per class" labels={names} values={d.classHistogram} /> : <p>Not known until the ingest finishes.</p>}
        </section>
        <section aria-labelledby="preview-title">
          <h3 id="preview-title">Preview</h3>
          {version?.status === 'READY' ? <Preview url={version.previewUrl} /> : <p>The preview grid appears when the version is ready.</p>}
        </section>
      </div>
      <Versions versions={d.versions} />
      <p>
        <a href={`#/experiments/new/${d.id}`}>Train a model on {d.name} →</a>
      </p>
    </article>
  );
}

function Preview({ url }: { url: string }) {
  const [src, setSrc] = useState<string>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    fetchDataUrl(`${url}?perClass=6`).then(setSrc, setError);
  }, [url]);
  return (
    <>
      <ErrorBox error={error} what="load the preview" />
      {src ? <img className="preview" src={src} alt="Train samples, six per class, with class names and the class histogram" /> : !error && <p aria-busy="true">Loading…</p>}
    </>
  );
}

function Versions({ versions }: { versions: DatasetVersion[] }) {
  return (
    <section aria-labelledby="versions-title">
      <h3 id="versions-title">Versions</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Format</th>
            <th scope="col">Status</th>
            <th scope="col">Train</th>
            <th scope="col">Test</th>
            <th scope="col">Classes</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.id}>
              <td>{v.version}</td>
              <td>{v.format}</td>
              <td>
                {v.status}
                {v.failureReason ? `: ${v.failureReason}` : ''}
              </td>
              <td>{v.trainCount ?? '–'}</td>
              <td>{v.testCount ?? '–'}</td>
              <td>{v.numClasses ?? '–'}</td>
              <td>{new Date(v.createdAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
