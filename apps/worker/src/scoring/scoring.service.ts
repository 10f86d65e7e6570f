import { Inject, Injectable, Logger } from '@nestjs/common';
import { BatchSource, ExperimentSpec, JobPayloads, PRIMARY_METRICS, PrimaryMetric, shownPublicScore } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import * as tf from '@tensorflow/tfjs';
import { buildBatchSource, buildShardedBatchSource, isShardedSplit, outputShape, PipelineSpec } from '@trainyard/data';
import { PrismaService, SubmissionRepository } from '@trainyard/db';
import { accumulateConfusion, argmaxRows, ClassificationMetrics, emptyConfusion, initBackend, metricsFromConfusion, modelFromCheckpoint } from '@trainyard/engine';
import { DatasetLoader } from '../training/dataset-loader';
import { JobContext } from '@trainyard/queue';
import { partitionHiddenSplit } from './hidden-split';
import { visibleAt, waitUntil } from './time-quantum';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';

export type ScoringOutcome = 'scored' | 'failed' | 'already-finished' | 'superseded';

/** A submission that cannot be scored, for a reason the student should read. */
class Unscorable extends Error {}


/**
 * The `scoreSubmission` job: runs the engine's evaluation of a submitted checkpoint on the
 * assignment's hidden split, inside the worker. Only aggregate scores (public part, private part)
 * are stored; per-sample predictions never leave this function.
 *
 * Nor does the time scoring took: the per-sample work is the same whether a prediction is right or
 * wrong, and the result (SCORED with its scoredAt, or FAILED) becomes visible only on a grid of
 * SCORING_TIME_QUANTUM_MS from the submission's createdAt (see visibleMoment).
 */
@Injectable()
export class ScoringService {
  private readonly logger = new Logger('Scoring');
  private backend?: Promise<unknown>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly prisma: PrismaService,
    private readonly submissions: SubmissionRepository,
    private readonly loader: DatasetLoader,
  ) {}

  async handle(job: JobPayloads['scoreSubmission'], ctx: JobContext): Promise<ScoringOutcome> {
    const sub = await this.submissions.claim(job.submissionId, job.round);
    if (!sub) return 'already-finished';
    const a = sub.assignment;
    const log = (m: string) => this.logger.log(`submission ${sub.id} round ${job.round}: ${m}`);
    try {
      const { pub, priv } = await this.score(sub.checkpointId, sub.experimentId, a);
      // Everything after this wait takes the same time whatever the hidden labels are.
      const scoredAt = await this.visibleMoment(sub.createdAt);
      const key = PRIMARY_METRICS[a.primaryMetric as PrimaryMetric];
      const publicScore = pub[key] as number;
      const privateScore = priv[key] as number;
      const best = await this.submissions.bestShown(a.id, sub, sub.id, a.direction);
      const publicShown = shownPublicScore(publicScore, best, { ladder: a.ladder, margin: a.ladderMargin, digits: a.scoreDigits, direction: a.direction });
      const aggregate = (r: ClassificationMetrics, n: number) => ({ accuracy: r.accuracy, macro_f1: r.f1, samples: n });
      const written = await this.submissions.recordScores(sub.id, job.round, sub, {
        publicScore,
        privateScore,
        publicShown,
        metrics: { public: aggregate(pub, pub.confusionMatrix.flat().reduce((s, v) => s + v, 0)), private: aggregate(priv, priv.confusionMatrix.flat().reduce((s, v) => s + v, 0)) },
        scoredAt,
      });
      if (!written) return 'superseded';
      log(`scored ${a.primaryMetric} public ${publicScore.toFixed(4)} (shown ${publicShown})`);
      return 'scored';
    } catch (err) {
      if (!(err instanceof Unscorable) && !ctx.lastTry) throw err; // a store or database outage: retry
      const reason = err instanceof Error ? err.message : String(err);
      // A failure shows on the same grid as a score: how soon it came says nothing either.
      await this.visibleMoment(sub.createdAt);
      await this.submissions.fail(sub.id, job.round, reason);
      log(`failed: ${reason}`);
      return 'failed';
    }
  }

  /**
   * Waits until a result may become visible, and returns that moment: the next whole multiple of
   * SCORING_TIME_QUANTUM_MS after the submission's createdAt (now, when the quantum is 0).
   *
   * Measured from createdAt, not from this job's claim: createdAt and scoredAt are the two times a
   * student can read exactly (GraphQL fields), so scoredAt - createdAt is what they would time; the
   * claim (RUNNING) has no stored time and shows only to a poller. A re-score keeps the same grid.
   */
  private async visibleMoment(createdAt: Date): Promise<Date> {
    const at = visibleAt(createdAt.getTime(), Date.now(), this.config.scoring.timeQuantumMs);
    await waitUntil(at);
    return new Date(at);
  }

  private async score(
    checkpointId: string,
    experimentId: string,
    a: { datasetId: string; datasetVersionId: string | null; publicFraction: number; splitSeed: number; maxParams: number | null },
  ): Promise<{ pub: ClassificationMetrics; priv: ClassificationMetrics }> {
    const checkpoint = await this.prisma.checkpoint.findUnique({ where: { id: checkpointId } });
    if (!checkpoint) throw new Unscorable('the submitted checkpoint was deleted before it could be scored');
    const experiment = await this.prisma.experiment.findUniqueOrThrow({ where: { id: experimentId } });
    const spec = experiment.spec as unknown as ExperimentSpec & { pipeline: PipelineSpec };
    const { test: hidden, numClasses, sampleShape, release } = await this.hiddenSplit(a);
    let source: BatchSource | undefined;
    let model: tf.LayersModel | undefined;
    try {
      this.backend ??= initBackend(this.config.worker.backend);
      await this.backend;
      model = modelFromCheckpoint(await this.store.getBytes(checkpoint.storageKey));
      const outClasses = model.outputs[0].shape[model.outputs[0].shape.length - 1];
      if (outClasses !== numClasses) throw new Unscorable(`the checkpoint predicts ${outClasses} classes; the assignment's dataset has ${numClasses}`);
      const takes = model.inputs[0].shape.slice(1);
      const gets = outputShape(spec.pipeline, sampleShape);
      if (takes.join('x') !== gets.join('x')) {
        throw new Unscorable(`the checkpoint takes inputs of shape [${takes.join(', ')}], but the experiment's pipeline makes the assignment's images [${gets.join(', ')}]`);
      }
      const params = model.countParams();
      if (a.maxParams !== null && params > a.maxParams) throw new Unscorable(`the model has ${params} parameters; the assignment allows at most ${a.maxParams}`);
      // One pass over the hidden split in its stored order; per-sample predictions stay in this function.
      // Per sample the work never depends on the label: an argmax of the logits (which never see the
      // label), then one confusion-matrix increment, right or wrong alike; no top-k with an early exit.
      const pipeline = { map: spec.pipeline.map, batch: { size: 256, dropRemainder: false } } as PipelineSpec;
      const opts = { seed: 0, shuffle: false, dropRemainder: false };
      const data = isShardedSplit(hidden) ? buildShardedBatchSource(hidden, pipeline, opts) : buildBatchSource(hidden, pipeline, opts);
      source = data;
      const predicted: number[] = [];
      const truth: number[] = [];
      for await (const batch of data.epoch(0)) {
        const logits = tf.tidy(() => (model!.predict(tf.tensor(batch.x, batch.xShape, 'float32')) as tf.Tensor).dataSync());
        for (const k of argmaxRows(logits as Float32Array, numClasses)) predicted.push(k);
        for (const y of batch.y) truth.push(y);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const { publicIdx, privateIdx } = partitionHiddenSplit(truth.length, a.publicFraction, a.splitSeed);
      const part = (idx: number[]) => {
        const confusion = emptyConfusion(numClasses);
        accumulateConfusion(confusion, idx.map((i) => truth[i]), idx.map((i) => predicted[i]));
        return metricsFromConfusion(confusion);
      };
      return { pub: part(publicIdx), priv: part(privateIdx) };
    } finally {
      // The model, the source's prefetch thread and the lease on the cached shards end with the job.
      model?.dispose();
      await source?.close?.();
      await release();
    }
  }

  /** The assignment's hidden split: its dataset version's test split (or the idx test files of a dataset from before versions). */
  private async hiddenSplit(a: { datasetId: string; datasetVersionId: string | null }) {
    const loaded = await this.loader.load({ datasetId: a.datasetId, datasetVersionId: a.datasetVersionId });
    if (a.datasetVersionId) {
      const v = await this.prisma.datasetVersion.findUniqueOrThrow({ where: { id: a.datasetVersionId } });
      if (!v.testCount) throw new Unscorable(`dataset version ${v.id} has no test split to score on`);
      return { test: loaded.test, numClasses: v.numClasses ?? 10, sampleShape: v.sampleShape, release: loaded.release };
    }
    const d = await this.prisma.dataset.findUniqueOrThrow({ where: { id: a.datasetId } });
    return { test: loaded.test, numClasses: d.numClasses ?? 10, sampleShape: d.imageShape, release: loaded.release };
  }

  /** Enqueues scoring for submissions left QUEUED or RUNNING (the in-process queue forgets its jobs on exit). */
  async requeueUnscored(enqueue: (p: JobPayloads['scoreSubmission']) => Promise<void>) {
    for (const s of await this.submissions.unscored()) await enqueue({ submissionId: s.id, round: s.scoreRound });
  }
}
