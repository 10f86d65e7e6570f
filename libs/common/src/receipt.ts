import { createHash } from 'node:crypto';

/** What a run ran on (the engine's runtimeEnvironment fills it in). */
export interface RuntimeEnvironment {
  backend: string;
  tfjsVersion: string;
  wasmBackendVersion: string | null;
  nodeVersion: string;
  /** The native addon's instruction set ('avx512', 'avx2', 'generic'), or null when it is not in use. */
  nativeIsa: string | null;
  /** Kernels Trainyard registers over the backend's own, sorted ('Conv2D', 'MaxPoolGrad'...). */
  kernels: string[];
}

/**
 * An experiment's reproducibility receipt: everything that decides its loss series. Re-running the
 * same receipt on the same backend gives the same series (rerunExperiment). Stored as JSON on the
 * experiment when a worker starts it; GraphQL's Receipt type reads these fields.
 */
export interface Receipt extends RuntimeEnvironment {
  version: 1;
  datasetId: string;
  /** The exact dataset version (null: a dataset from before versions, trained on its idx files). */
  datasetVersionId: string | null;
  /** sha256 over the dataset version's source files (name and sha256 of each, sorted by name). */
  datasetDigest: string;
  /** The resolved spec the run trained with (defaults filled in). */
  spec: unknown;
  seed: number;
  baseCheckpointId: string | null;
  frozenLayers: string[];
}

/** One digest for a dataset's contents: its files' own digests, in a fixed order. */
export function datasetDigest(files: ReadonlyArray<{ name: string; sha256: string }>): string {
  const lines = [...files].sort((a, b) => a.name.localeCompare(b.name)).map((f) => `${f.name}:${f.sha256}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

export function buildReceipt(
  experiment: { datasetId: string; datasetVersionId: string | null; spec: unknown; baseCheckpointId: string | null; frozenLayers: string[] },
  files: ReadonlyArray<{ name: string; sha256: string }>,
  environment: RuntimeEnvironment,
): Receipt {
  return {
    version: 1,
    datasetId: experiment.datasetId,
    datasetVersionId: experiment.datasetVersionId,
    datasetDigest: datasetDigest(files),
    spec: experiment.spec,
    seed: (experiment.spec as { seed: number }).seed,
    baseCheckpointId: experiment.baseCheckpointId,
    frozenLayers: experiment.frozenLayers,
    ...environment,
  };
}
