/**
 * The one place artifact keys are spelled. Everything a team owns sits under teams/<teamId>/, so a
 * team's artifacts can be listed or removed by prefix. Ids are checked to be single path segments.
 */
const seg = (what: string, v: string | number): string => {
  const s = String(v);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(s) || s.includes('..')) {
    throw new Error(`${what} ${JSON.stringify(s)} cannot be part of an artifact key`);
  }
  return s;
};

export const keys = {
  team: (teamId: string) => `teams/${seg('teamId', teamId)}/`,
  /** Prefix of all files of a dataset. */
  dataset: (teamId: string, datasetId: string) => `${keys.team(teamId)}datasets/${seg('datasetId', datasetId)}/`,
  /** One uploaded file: role is e.g. train-images; each upload gets its own id, so a re-upload never overwrites. */
  datasetFile: (teamId: string, datasetId: string, role: string, uploadId: string) =>
    `${keys.dataset(teamId, datasetId)}files/${seg('role', role)}/${seg('uploadId', uploadId)}`,
  /** A dataset version's folder: sources/ as uploaded, then index.json and <split>/shard-N.bin once ingested. */
  datasetVersion: (teamId: string, datasetId: string, versionId: string) => `${keys.dataset(teamId, datasetId)}versions/${seg('versionId', versionId)}/`,
  /** One uploaded source file of a version; each upload gets its own id, so a re-upload never overwrites. */
  datasetSource: (teamId: string, datasetId: string, versionId: string, name: string, uploadId: string) =>
    `${keys.datasetVersion(teamId, datasetId, versionId)}sources/${seg('uploadId', uploadId)}/${seg('name', name)}`,
  /** Where ingest writes the internal form (index.json, train/shard-00000.bin ...). */
  datasetData: (teamId: string, datasetId: string, versionId: string) => `${keys.datasetVersion(teamId, datasetId, versionId)}data/`,
  experiment: (teamId: string, experimentId: string) => `${keys.team(teamId)}experiments/${seg('experimentId', experimentId)}/`,
  checkpoints: (teamId: string, experimentId: string) => `${keys.experiment(teamId, experimentId)}checkpoints/`,
  /**
   * Zero-padded step, so listing the prefix returns checkpoints in step order. The run attempt is part
   * of the key: a worker that lost its job to a newer attempt can never overwrite that attempt's bytes.
   */
  checkpoint: (teamId: string, experimentId: string, step: number, attempt = 1) => {
    if (!Number.isSafeInteger(step) || step < 0) throw new Error(`checkpoint step must be a non-negative integer, got ${step}`);
    if (!Number.isSafeInteger(attempt) || attempt < 1) throw new Error(`attempt must be a positive integer, got ${attempt}`);
    return `${keys.checkpoints(teamId, experimentId)}step-${String(step).padStart(12, '0')}.a${attempt}.ckpt`;
  },
  /** The step a checkpoint key names, or undefined for other keys. */
  checkpointStep: (key: string): number | undefined => {
    const m = /\/checkpoints\/step-(\d+)\.a\d+\.ckpt$/.exec(key);
    return m ? Number(m[1]) : undefined;
  },
  /** An exported model file: format e.g. onnx or tfjs, file e.g. model.onnx or model.json. */
  export: (teamId: string, experimentId: string, format: string, file: string) =>
    `${keys.experiment(teamId, experimentId)}exports/${seg('format', format)}/${seg('file', file)}`,
  /**
   * A checkpoint's export (exportCheckpoint job), e.g. exports/onnx/<checkpointId>.onnx. Under the
   * experiment's prefix, so removing an experiment's artifacts removes its exports too; the same key
   * for the same checkpoint, so a job run twice overwrites identical bytes.
   */
  checkpointExport: (teamId: string, experimentId: string, checkpointId: string, format: 'onnx') =>
    keys.export(teamId, experimentId, format, `${seg('checkpointId', checkpointId)}.${format}`),
  /**
   * A batch prediction's output (batchPredict job), e.g. predictions/<id>.jsonl, under the experiment
   * of the checkpoint it ran: removing the experiment's artifacts removes it too; one key per job.
   */
  batchPrediction: (teamId: string, experimentId: string, batchPredictionId: string, ext: 'jsonl' | 'csv') =>
    `${keys.experiment(teamId, experimentId)}predictions/${seg('batchPredictionId', batchPredictionId)}.${ext}`,
};
