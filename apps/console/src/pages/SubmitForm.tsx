import { useState } from 'react';
// The engine's own registries (pure TypeScript + zod): the choices here are the ones the API validates.
import { LOSS_NAMES } from '@trainyard/engine/spec/losses';
import { MODEL_NAMES } from '@trainyard/engine/spec/models';
import { OPTIMIZERS, OPTIMIZER_NAMES } from '@trainyard/engine/spec/optimizers';
import { SCHEDULE_NAMES } from '@trainyard/engine/spec/schedules';
import { ErrorBox } from '../components/ErrorBox';
import { useAction, useLoad } from '../hooks';
import { api } from '../queries';

const SCHEDULE_FIELDS: Record<string, string[]> = {
  constant: ['warmupSteps'],
  step: ['warmupSteps', 'stepSize', 'gamma'],
  exponential: ['warmupSteps', 'decaySteps', 'gamma'],
  cosine: ['warmupSteps', 'decaySteps', 'minLearningRate'],
};
const BOOLEAN_SETTINGS = new Set(['useNesterov', 'centered']);
const INT_SETTINGS = new Set(['warmupSteps', 'stepSize', 'decaySteps']);

/** The experiment submit form: model, loss, optimizer, schedule, pipeline and checkpoints. */
export default function SubmitForm({ datasetId, onSubmitted }: { datasetId?: string; onSubmitted: (id: string) => void }) {
  const datasets = useLoad(() => api.readyDatasets(), []);
  const [f, setF] = useState({
    name: 'lenet5',
    datasetId: datasetId ?? '',
    model: 'lenet5',
    modelParams: '',
    loss: 'SoftmaxCrossEntropyWithLogits',
    optimizer: 'Momentum',
    learningRate: '0.01',
    schedule: 'constant',
    epochs: '1',
    batchSize: '32',
    shuffleBufferSize: '10000',
    map: '',
    saveCheckpointSteps: '500',
    keepCheckpointMax: '3',
    perPrintTimes: '',
    seed: '',
  });
  const [settings, setSettings] = useState<Record<string, string>>({});
  const set = (k: keyof typeof f) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) => setF({ ...f, [k]: e.target.value });
  const setSetting = (k: string, v: string) => setSettings({ ...settings, [k]: v });
  const ready = datasets.data ?? [];
  const chosenDataset = f.datasetId || ready[0]?.id || '';
  const optimizer = OPTIMIZERS[f.optimizer as keyof typeof OPTIMIZERS];

  const submit = useAction(async () => {
    const num = (v: string, what: string) => {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`${what} must be a number.`);
      return n;
    };
    const json = (text: string, what: string) => {
      try {
        return JSON.parse(text);
      } catch (err) {
        throw new Error(`${what} is not valid JSON: ${err instanceof Error ? err.message : err}`);
      }
    };
    const optimizerInput: Record<string, unknown> = { name: f.optimizer, learningRate: num(f.learningRate, 'Learning rate') };
    for (const s of optimizer.settings) {
      const v = settings[`opt.${s}`];
      if (v === undefined || v === '') continue;
      optimizerInput[s] = BOOLEAN_SETTINGS.has(s) ? v === 'true' : num(v, s);
    }
    const schedule: Record<string, unknown> = { name: f.schedule };
    for (const s of SCHEDULE_FIELDS[f.schedule] ?? []) {
      const v = settings[`sch.${s}`];
      if (v === undefined || v === '') continue;
      schedule[s] = INT_SETTINGS.has(s) ? Math.round(num(v, s)) : num(v, s);
    }
    const pipeline: Record<string, unknown> = { batchSize: num(f.batchSize, 'Batch size'), shuffleBufferSize: num(f.shuffleBufferSize, 'Shuffle buffer') };
    if (f.map.trim()) pipeline.map = json(f.map, 'Map ops');
    const input: Record<string, unknown> = {
      name: f.name.trim(),
      datasetId: chosenDataset,
      model: { name: f.model, ...(f.modelParams.trim() ? { params: json(f.modelParams, 'Model params') } : {}) },
      loss: { name: f.loss },
      optimizer: optimizerInput,
      schedule,
      epochs: num(f.epochs, 'Epochs'),
      pipeline,
      checkpoint: { saveCheckpointSteps: num(f.saveCheckpointSteps, 'Checkpoint every'), keepCheckpointMax: num(f.keepCheckpointMax, 'Keep at most') },
      ...(f.perPrintTimes.trim() ? { perPrintTimes: num(f.perPrintTimes, 'Record the loss every') } : {}),
      ...(f.seed.trim() ? { seed: num(f.seed, 'Seed') } : {}),
    };
    if (!chosenDataset) throw new Error('Pick a dataset (upload one on the Datasets page first).');
    const { id } = await api.submitExperiment(input);
    onSubmitted(id);
  });

  return (
    <section aria-labelledby="submit-title">
      <p>
        <a href="#/experiments">← All experiments</a>
      </p>
      <h1 id="submit-title">New experiment</h1>
      <ErrorBox error={datasets.error} what="list the datasets" />
      <form
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run();
        }}
      >
        <fieldset>
          <legend>Run</legend>
          <Field id="x-name" label="Name">
            <input id="x-name" required maxLength={128} value={f.name} onChange={set('name')} />
          </Field>
          <Field id="x-dataset" label="Dataset">
            <select id="x-dataset" required value={chosenDataset} onChange={set('datasetId')}>
              {ready.length === 0 && <option value="">no ready dataset</option>}
              {ready.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name} ({d.trainCount} train, {d.numClasses} classes)
                </option>
              ))}
            </select>
          </Field>
          <Field id="x-epochs" label="Epochs">
            <input id="x-epochs" type="number" min={1} required value={f.epochs} onChange={set('epochs')} />
          </Field>
          <Field id="x-seed" label="Seed (optional)">
            <input id="x-seed" type="number" value={f.seed} onChange={set('seed')} />
          </Field>
        </fieldset>
        <fieldset>
          <legend>Model and loss</legend>
          <Field id="x-model" label="Model">
            <select id="x-model" value={f.model} onChange={set('model')}>
              {MODEL_NAMES.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </Field>
          <Field id="x-params" label="Model params (JSON, optional)">
            <textarea id="x-params" rows={2} value={f.modelParams} onChange={set('modelParams')} placeholder={f.model === 'mlp' ? '{"hidden": [256, 128]}' : '{}'} />
          </Field>
          <Field id="x-loss" label="Loss">
            <select id="x-loss" value={f.loss} onChange={set('loss')}>
              {LOSS_NAMES.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </Field>
        </fieldset>
        <fieldset>
          <legend>Optimizer and schedule</legend>
          <Field id="x-opt" label="Optimizer">
            <select id="x-opt" value={f.optimizer} onChange={set('optimizer')}>
              {OPTIMIZER_NAMES.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </Field>
          <Field id="x-lr" label="Learning rate">
            <input id="x-lr" type="number" step="any" min={0} required value={f.learningRate} onChange={set('learningRate')} />
          </Field>
          {optimizer.settings.map((s) => (
            <Setting key={s} id={`opt.${s}`} name={s} value={settings[`opt.${s}`] ?? ''} placeholder={(optimizer.defaults as Record<string, unknown>)[s]} onChange={setSetting} />
          ))}
          <Field id="x-schedule" label="Learning-rate schedule">
            <select id="x-schedule" value={f.schedule} onChange={set('schedule')}>
              {SCHEDULE_NAMES.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </Field>
          {(SCHEDULE_FIELDS[f.schedule] ?? []).map((s) => (
            <Setting key={s} id={`sch.${s}`} name={s} value={settings[`sch.${s}`] ?? ''} onChange={setSetting} />
          ))}
        </fieldset>
        <fieldset>
          <legend>Pipeline and checkpoints</legend>
          <Field id="x-batch" label="Batch size">
            <input id="x-batch" type="number" min={1} value={f.batchSize} onChange={set('batchSize')} />
          </Field>
          <Field id="x-shuffle" label="Shuffle buffer">
            <input id="x-shuffle" type="number" min={0} value={f.shuffleBufferSize} onChange={set('shuffleBufferSize')} />
          </Field>
          <Field id="x-map" label="Map ops (JSON list; empty: the walkthrough's Resize 32, Rescale, HWC2CHW…)">
            <textarea id="x-map" rows={3} value={f.map} onChange={set('map')} placeholder='[{"op": "Resize", "size": [32, 32]}, {"op": "Rescale", "rescale": 0.00392156862745098, "shift": 0}]' />
          </Field>
          <Field id="x-ckpt" label="Checkpoint every (steps)">
            <input id="x-ckpt" type="number" min={1} value={f.saveCheckpointSteps} onChange={set('saveCheckpointSteps')} />
          </Field>
          <Field id="x-keep" label="Keep at most (checkpoints)">
            <input id="x-keep" type="number" min={1} value={f.keepCheckpointMax} onChange={set('keepCheckpointMax')} />
          </Field>
          <Field id="x-print" label="Record the loss every (steps, optional)">
            <input id="x-print" type="number" min={1} value={f.perPrintTimes} onChange={set('perPrintTimes')} />
          </Field>
        </fieldset>
        <div className="form-actions">
          <button type="submit" disabled={submit.busy}>
            {submit.busy ? 'Submitting…' : 'Submit experiment'}
          </button>
          <ErrorBox error={submit.error} what="submit the experiment" />
        </div>
      </form>
    </section>
  );
}

function Field({ id, label, children }: { id: string; label: string; children: React.ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
    </div>
  );
}

function Setting({ id, name, value, placeholder, onChange }: { id: string; name: string; value: string; placeholder?: unknown; onChange: (k: string, v: string) => void }) {
  const htmlId = `x-${id.replace('.', '-')}`;
  if (BOOLEAN_SETTINGS.has(name)) {
    return (
      <Field id={htmlId} label={name}>
        <select id={htmlId} value={value} onChange={(e) => onChange(id, e.target.value)}>
          <option value="">default ({String(placeholder ?? false)})</option>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      </Field>
    );
  }
  return (
    <Field id={htmlId} label={name}>
      <input id={htmlId} type="number" step="any" value={value} placeholder={placeholder === undefined ? 'default' : String(placeholder)} onChange={(e) => onChange(id, e.target.value)} />
    </Field>
  );
}
