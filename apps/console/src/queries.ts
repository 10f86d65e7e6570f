/**
 * Every GraphQL operation the console sends, in one place, with the shapes it reads. Lists go
 * through the helpers below, so the move to cursor connections touches only this file.
 */
import { gql } from './api';

export interface Whoami {
  role: string;
  teamKind: 'TEAM' | 'COURSE';
  teamName: string;
  user: { id: string; name: string };
}

export interface DatasetVersion {
  id: string;
  version: number;
  format: string;
  status: 'UPLOADING' | 'INGESTING' | 'READY' | 'FAILED';
  failureReason: string | null;
  trainCount: number | null;
  testCount: number | null;
  numClasses: number | null;
  classNames: string[];
  sampleShape: number[];
  previewUrl: string;
  uploadUrl: string;
  createdAt: string;
  splits: Array<{ name: string; count: number; histogram: number[] }>;
}

/** What the dataset list shows. */
export interface DatasetSummary {
  id: string;
  name: string;
  status: string;
  trainCount: number | null;
  testCount: number | null;
  numClasses: number | null;
  createdAt: string;
  currentVersion: { id: string; status: DatasetVersion['status'] } | null;
}

export interface Dataset {
  id: string;
  name: string;
  status: string;
  trainCount: number | null;
  testCount: number | null;
  numClasses: number | null;
  imageShape: number[];
  classHistogram: number[];
  createdAt: string;
  uploadUrl: string;
  currentVersion: DatasetVersion | null;
  versions: DatasetVersion[];
}

export interface LossPoint {
  step: number;
  epoch: number;
  loss: number;
  lr: number | null;
}

export interface Checkpoint {
  id: string;
  step: number;
  epoch: number;
  sizeBytes: number;
  createdAt: string;
  downloadUrl: string;
}

export interface Metrics {
  accuracy: number;
  loss: number;
  precision: number;
  recall: number;
  f1: number;
  topK: number | null;
  topKAccuracy: number | null;
  confusionMatrix: number[][];
  perClass: Array<{ name: string | null; precision: number; recall: number; f1: number; support: number }>;
}

export interface ExperimentSummary {
  id: string;
  name: string;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'PAUSED';
  createdAt: string;
  datasetId: string;
  failureReason: string | null;
  progress: { epoch: number; step: number; totalSteps: number; samplesPerSecond: number | null };
  metrics: { accuracy: number } | null;
}

export interface Experiment extends ExperimentSummary {
  backend: string | null;
  spec: Record<string, unknown>;
  cancelRequested: boolean;
  checkpoints: Checkpoint[];
  epochSummaries: Array<{ epoch: number; step: number; loss: number | null; accuracy: number | null; learningRate: number; validation: Record<string, number> | null }>;
  metrics: Metrics | null;
}

export interface ServedVersion {
  version: number;
  checkpointId: string;
  experimentId: string;
  step: number;
  isDefault: boolean;
  labels: string[];
  predictUrl: string;
  createdAt: string;
  deployedBy: string | null;
}

export interface ServedModel {
  id: string;
  name: string;
  defaultVersion: number | null;
  labels: Array<{ label: string; version: number }>;
  trafficSplit: { version: number; percent: number } | null;
  versions: ServedVersion[];
}

export interface Assignment {
  id: string;
  name: string;
  datasetId: string;
  primaryMetric: string;
  direction: string;
  allowedModels: string[];
  maxEpochs: number | null;
  opensAt: string;
  deadline: string;
  yourDeadline: string;
  privateRevealed: boolean;
  quota: { remainingToday: number | null; remainingTotal: number | null; inFlight: number; resetsAt: string; dailyLimit: number | null; totalLimit: number | null };
  submissions: Array<{ id: string; status: string; publicScore: number | null; privateScore: number | null; late: boolean; final: boolean; createdAt: string; failureReason: string | null; experimentId: string }>;
}

export interface Leaderboard {
  metric: string;
  direction: string;
  private: boolean;
  rows: Array<{ rank: number | null; name: string; score: number | null; submissions: number; submittedAt: string | null }>;
}

/** One page of a Relay connection, flattened. */
export interface Page<T> {
  items: T[];
  endCursor: string | null;
  hasNextPage: boolean;
  totalCount: number;
}

interface Connection<T> {
  edges: Array<{ node: T }>;
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
  totalCount: number;
}

// `first` goes into the document as a literal (an integer we chose): the API's cost rule multiplies by a
// literal page size and assumes the largest page for a variable.
const int = (n: number) => String(Math.max(0, Math.min(200, Math.floor(n))));
const PAGE = `pageInfo { endCursor hasNextPage } totalCount`;
const flatten = <T>(c: Connection<T>): Page<T> => ({ items: c.edges.map((e) => e.node), endCursor: c.pageInfo.endCursor, hasNextPage: c.pageInfo.hasNextPage, totalCount: c.totalCount });

const VERSION_FIELDS = `id version format status failureReason trainCount testCount numClasses classNames sampleShape previewUrl uploadUrl createdAt
  splits { name count histogram }`;
const DATASET_FIELDS = `id name status trainCount testCount numClasses imageShape classHistogram createdAt uploadUrl
  currentVersion { ${VERSION_FIELDS} } versions { ${VERSION_FIELDS} }`;
const DATASET_LIST_FIELDS = `id name status trainCount testCount numClasses createdAt currentVersion { id status }`;
const SUMMARY_FIELDS = `id name status createdAt datasetId failureReason progress { epoch step totalSteps samplesPerSecond } metrics { accuracy }`;
const EXPERIMENT_FIELDS = `id name status createdAt datasetId failureReason backend spec cancelRequested
  progress { epoch step totalSteps samplesPerSecond }
  checkpoints { id step epoch sizeBytes createdAt downloadUrl }
  epochSummaries { epoch step loss accuracy learningRate validation }
  metrics { accuracy loss precision recall f1 topK topKAccuracy confusionMatrix perClass { name precision recall f1 support } }`;
const MODEL_FIELDS = `id name defaultVersion labels { label version } trafficSplit { version percent }
  versions { version checkpointId experimentId step isDefault labels predictUrl createdAt deployedBy }`;

export const api = {
  whoami: () => gql<{ whoami: Whoami }>(`{ whoami { role teamKind teamName user { id name } } }`).then((d) => d.whoami),

  /** Newest first, a page at a time (`after`: the previous page's endCursor). */
  datasets: (after?: string | null, first = 50) =>
    gql<{ datasets: Connection<DatasetSummary> }>(`query($after: String) { datasets(first: ${int(first)}, after: $after) { edges { node { ${DATASET_LIST_FIELDS} } } ${PAGE} } }`, {
      after: after ?? null,
    }).then((d) => flatten(d.datasets)),
  /** Datasets that can be trained on (READY), newest first. */
  readyDatasets: () =>
    gql<{ datasets: Connection<DatasetSummary> }>(`{ datasets(first: 200, filter: { status: READY }) { edges { node { ${DATASET_LIST_FIELDS} } } ${PAGE} } }`).then(
      (d) => flatten(d.datasets).items,
    ),
  dataset: (id: string) => gql<{ dataset: Dataset }>(`query($id: ID!) { dataset(id: $id) { ${DATASET_FIELDS} } }`, { id }).then((d) => d.dataset),
  createDataset: (name: string) =>
    gql<{ createDataset: Dataset }>(`mutation($name: String!) { createDataset(name: $name) { ${DATASET_FIELDS} } }`, { name }).then((d) => d.createDataset),
  createDatasetVersion: (datasetId: string, format: string) =>
    gql<{ createDatasetVersion: DatasetVersion }>(
      `mutation($d: ID!, $f: String!) { createDatasetVersion(datasetId: $d, format: $f) { ${VERSION_FIELDS} } }`,
      { d: datasetId, f: format },
    ).then((d) => d.createDatasetVersion),
  ingestDatasetVersion: (id: string) =>
    gql<{ ingestDatasetVersion: DatasetVersion }>(`mutation($id: ID!) { ingestDatasetVersion(id: $id) { ${VERSION_FIELDS} } }`, { id }).then(
      (d) => d.ingestDatasetVersion,
    ),

  experiments: (after?: string | null, first = 50, status?: string[]) =>
    gql<{ experiments: Connection<ExperimentSummary> }>(
      `query($after: String, $filter: ExperimentFilter) { experiments(first: ${int(first)}, after: $after, filter: $filter) { edges { node { ${SUMMARY_FIELDS} } } ${PAGE} } }`,
      { after: after ?? null, filter: status ? { status } : null },
    ).then((d) => flatten(d.experiments)),
  experiment: (id: string) => gql<{ experiment: Experiment }>(`query($id: ID!) { experiment(id: $id) { ${EXPERIMENT_FIELDS} } }`, { id }).then((d) => d.experiment),
  /** The loss series after the cursor `after` (null: from the start), oldest first, a page at a time. */
  lossPoints: (id: string, after: string | null) =>
    gql<{ experiment: { lossPoints: Connection<LossPoint> } }>(
      `query($id: ID!, $after: String) { experiment(id: $id) { lossPoints(first: 1000, after: $after) { edges { node { step epoch loss lr } } ${PAGE} } } }`,
      { id, after },
    ).then((d) => flatten(d.experiment.lossPoints)),
  submitExperiment: (input: Record<string, unknown>) =>
    gql<{ submitExperiment: { id: string } }>(`mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { id } }`, { input }).then(
      (d) => d.submitExperiment,
    ),
  cancelExperiment: (id: string) => gql(`mutation($id: ID!) { cancelExperiment(id: $id) { id } }`, { id }),
  resumeExperiment: (id: string) => gql(`mutation($id: ID!) { resumeExperiment(id: $id) { id } }`, { id }),

  models: (after?: string | null, first = 50) =>
    gql<{ models: Connection<ServedModel> }>(`query($after: String) { models(first: ${int(first)}, after: $after) { edges { node { ${MODEL_FIELDS} } } ${PAGE} } }`, {
      after: after ?? null,
    }).then((d) => flatten(d.models)),
  deployCheckpoint: (name: string, checkpointId: string) =>
    gql<{ deployCheckpoint: { name: string; version: number } }>(
      `mutation($n: String!, $c: ID!) { deployCheckpoint(name: $n, checkpointId: $c) { name version } }`,
      { n: name, c: checkpointId },
    ).then((d) => d.deployCheckpoint),
  setDefaultVersion: (name: string, version: number) =>
    gql(`mutation($n: String!, $v: Int!) { setDefaultVersion(name: $n, version: $v) { id } }`, { n: name, v: version }),
  setVersionLabel: (name: string, label: string, version: number | null) =>
    gql(`mutation($n: String!, $l: String!, $v: Int) { setVersionLabel(name: $n, label: $l, version: $v) { id } }`, { n: name, l: label, v: version }),
  setTrafficSplit: (name: string, version: number | null, percent: number) =>
    gql(`mutation($n: String!, $v: Int, $p: Int!) { setTrafficSplit(name: $n, version: $v, percent: $p) { id } }`, { n: name, v: version, p: percent }),
  rollbackModel: (name: string) => gql(`mutation($n: String!) { rollbackModel(name: $n) { id } }`, { n: name }),
  undeployVersion: (name: string, version: number) =>
    gql(`mutation($n: String!, $v: Int!) { undeployVersion(name: $n, version: $v) }`, { n: name, v: version }),

  assignments: () =>
    gql<{ assignments: Assignment[] }>(`{ assignments { id name datasetId primaryMetric direction allowedModels maxEpochs opensAt deadline yourDeadline privateRevealed
      quota { remainingToday remainingTotal inFlight resetsAt dailyLimit totalLimit }
      submissions { id status publicScore privateScore late final createdAt failureReason experimentId } } }`).then((d) => d.assignments),
  leaderboard: (assignmentId: string) =>
    gql<{ leaderboard: Leaderboard }>(
      `query($a: ID!) { leaderboard(assignmentId: $a) { metric direction private rows { rank name score submissions submittedAt } } }`,
      { a: assignmentId },
    ).then((d) => d.leaderboard),
  submitToAssignment: (assignmentId: string, experimentId: string) =>
    gql(`mutation($a: ID!, $e: ID!) { submitToAssignment(assignmentId: $a, experimentId: $e) { id status } }`, { a: assignmentId, e: experimentId }),
};
