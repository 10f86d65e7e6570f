import { Inject, Injectable } from '@nestjs/common';
import { Principal, VisibilityService } from '@trainyard/auth';
import { badInput, ErrorCode, ExperimentSpec, forbidden, notFound, TrainyardError } from '@trainyard/common';
import { BatchPredictionRepository, CheckpointRepository, DeploymentRepository } from '@trainyard/db';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';
import { HiddenSplits } from '../assignments/hidden-splits.service';
import { checkCompatible, modelInputsOf } from '../evaluations/evaluation.service';
import { ExperimentService } from '../experiments/experiment.service';
import { BatchPredictInput } from './batch-prediction.types';
import { Key, keysetPage, NEWEST_FIRST, PageArgs } from '../graphql/connection';
import { toBatchPrediction } from './batch-prediction.types';

type Row = Awaited<ReturnType<BatchPredictionRepository['get']>>;

/**
 * The rules of batch prediction: what runs (a deployed version by name, version or label, or any
 * checkpoint the caller sees), over which data (a READY dataset version and one of its splits, never
 * an assignment's hidden split for a student), and who reads the result (the team; in a course, a
 * student only their own).
 */
@Injectable()
export class BatchPredictionService {
  constructor(
    private readonly repo: BatchPredictionRepository,
    private readonly checkpoints: CheckpointRepository,
    private readonly deployments: DeploymentRepository,
    private readonly experiments: ExperimentService,
    private readonly visibility: VisibilityService,
    private readonly hidden: HiddenSplits,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  async request(p: Principal, input: BatchPredictInput): Promise<Row> {
    const teamId = p.team.id;
    const { checkpointId, modelName, modelVersion } = await this.target(teamId, input);
    const checkpoint = await this.checkpoints.getForTeam(teamId, checkpointId);
    await this.visibility.assertSees(p, checkpoint.experiment.userId, 'checkpoint', checkpointId);
    const { dataset, version, imageShape, numClasses } = await this.experiments.resolveSource(teamId, input.datasetId, input.datasetVersionId);
    if (!version) throw badInput(`dataset ${dataset.id} has no versions: upload it again to make one`, { field: 'datasetId' });
    // Courses: the test split of an assignment's dataset is hidden from students, whatever runs on it.
    if (input.split === 'test' && (await this.hidden.hidesFrom(p, dataset.id))) {
      throw forbidden("this dataset's test split is an assignment's hidden split: students cannot run predictions on it");
    }
    const spec = checkpoint.experiment.spec as unknown as ExperimentSpec;
    checkCompatible(modelInputsOf(spec), { imageShape, numClasses });
    const total = (version.index as { splits?: Record<string, { count?: number } | undefined> } | null)?.splits?.[input.split]?.count ?? 0;
    if (total < 1) throw badInput(`dataset version ${version.version} has no ${input.split} split`, { field: 'split' });
    if (!Number.isInteger(input.topK) || input.topK < 1 || input.topK > spec.model.numClasses) {
      throw badInput(`topK must be an integer from 1 to ${spec.model.numClasses} (the model's classes), got ${input.topK}`, { field: 'topK' });
    }
    const row = await this.repo.create({
      teamId,
      userId: p.user.id,
      checkpointId,
      modelName,
      modelVersion,
      datasetId: dataset.id,
      datasetVersionId: version.id,
      split: input.split,
      format: input.format,
      topK: input.topK,
      total,
    });
    await this.queue.enqueue('batchPredict', { batchPredictionId: row.id });
    return row;
  }

  /** The checkpoint to run: a deployed model's version (default, number or label), or the one named. */
  private async target(teamId: string, input: BatchPredictInput): Promise<{ checkpointId: string; modelName: string | null; modelVersion: number | null }> {
    const byModel = input.modelName !== undefined && input.modelName !== null;
    const byCheckpoint = input.checkpointId !== undefined && input.checkpointId !== null;
    if (byModel === byCheckpoint) throw badInput('give either modelName (a deployed model) or checkpointId', { field: 'modelName' });
    if (!byModel) {
      if (input.version != null || input.label != null) throw badInput('version and label go with modelName', { field: 'version' });
      return { checkpointId: input.checkpointId!, modelName: null, modelVersion: null };
    }
    if (input.version != null && input.label != null) throw badInput('give version or label, not both', { field: 'version' });
    const model = await this.deployments.getModel(teamId, input.modelName!);
    let v: number | null | undefined = model.defaultVersion;
    if (input.version != null) v = input.version;
    else if (input.label != null) {
      const labels = (model.labels ?? {}) as Record<string, number>;
      v = Object.prototype.hasOwnProperty.call(labels, input.label) ? labels[input.label] : undefined;
      if (v === undefined) throw notFound(`model ${model.name} label`, input.label.slice(0, 64));
    }
    const d = model.versions.find((x) => x.version === v);
    if (!d) throw notFound(`model ${model.name} version`, String(v));
    return { checkpointId: d.checkpointId, modelName: model.name, modelVersion: d.version };
  }

  /** The row if the caller may read it, else NOT_FOUND (another team's, a classmate's, a hidden split's for a student). */
  async get(p: Principal, id: string): Promise<Row> {
    const row = await this.repo.get(p.team.id, id);
    if (!(await this.mayRead(p, row))) throw notFound('batch prediction', id);
    return row;
  }

  /** A page, newest first; a student's rows are checked one by one, as get() checks them. */
  async page(p: Principal, page: PageArgs) {
    const owners = await this.visibility.ownerIds(p);
    const f = owners ? { userIds: owners } : {};
    return keysetPage(
      {
        list: 'batchPredictions',
        ...NEWEST_FIRST,
        fetch: (after: Key | undefined, take: number) => this.repo.page(p.team.id, f, NEWEST_FIRST.after(after), take),
        count: () => this.repo.count(p.team.id, f),
        visible: this.visibility.restricted(p) ? (r) => this.mayRead(p, r) : undefined,
      },
      page,
      toBatchPrediction,
    );
  }

  /** The stored file of a finished prediction: CONFLICT while it is not finished. */
  async downloadable(p: Principal, id: string): Promise<Row & { storageKey: string }> {
    const row = await this.get(p, id);
    if (row.status !== 'SUCCEEDED' || !row.storageKey) {
      throw new TrainyardError(ErrorCode.CONFLICT, `batch prediction ${id} is ${row.status}, not SUCCEEDED`, { status: row.status });
    }
    return { ...row, storageKey: row.storageKey };
  }

  private async mayRead(p: Principal, row: Row): Promise<boolean> {
    if (!this.visibility.restricted(p)) return true;
    const owners = await this.visibility.ownerIds(p);
    if (owners && (!row.userId || !owners.includes(row.userId))) return false;
    return !(row.split === 'test' && (await this.hidden.hidesFrom(p, row.datasetId)));
  }
}
