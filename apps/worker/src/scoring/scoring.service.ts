import { Inject, Injectable, Logger } from '@nestjs/common';
import { ExperimentSpec, JobPayloads, PRIMARY_METRICS, PrimaryMetric, shownPublicScore } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { buildBatchSource, ImageSplit, outputShape, parseIdx, PipelineSpec } from '@trainyard/data';
import { DatasetRepository, PrismaService, SubmissionRepository } from '@trainyard/db';
import { evaluate, EvaluationResult, initBackend, modelFromCheckpoint } from '@trainyard/engine';
import { JobContext } from '@trainyard/queue';
import { partitionHiddenSplit } from './hidden-split';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';

export type ScoringOutcome = 'scored' | 'failed' | 'already-finished' | 'superseded';

/** A submission that cannot be scored, for a reason the student should read. */
class Unscorable extends Error {}

function subset(split: ImageSplit, idx: number[]): ImageSplit {
  const per = split.shape[0] * split.shape[1] * split.shape[2];
  const images = new Uint8Array(idx.length * per);
  const labels = new Uint8Array(idx.length);
  idx.forEach((src, i) => {
    images.set(split.images.subarray(src * per, (src + 1) * per), i * per);
    labels[i] = split.labels[src];
  });
  return { images, labels, count: idx.length, shape: split.shape };
}

/**
 * The `scoreSubmission` job: runs the engine's evaluation of a submitted checkpoint on the
 * assignment's hidden split, inside the worker. Only aggregate scores (public part, private part)
 * are stored; per-sample predictions never leave this function.
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
    private readonly datasets: DatasetRepository,
  ) {}

  async handle(job: JobPayloads['scoreSubmission'], ctx: JobContext): Promise<ScoringOutcome> {
    const sub = await this.submissions.claim(job.submissionId, job.round);
    if (!sub) return 'already-finished';
    const a = sub.assignment;
    const log = (m: string) => this.logger.log(`submission ${sub.id} round ${job.round}: ${m}`);
    try {
      const { pub, priv } = await this.score(sub.checkpointId, sub.experimentId, a);
      const key = PRIMARY_METRICS[a.primaryMetric as PrimaryMetric];
      const publicScore = pub[key] as number;
      const privateScore = priv[key] as number;
      const best = await this.submissions.bestShown(a.id, sub, sub.id, a.direction);
      const publicShown = shownPublicScore(publicScore, best, { ladder: a.ladder, margin: a.ladderMargin, digits: a.scoreDigits, direction: a.direction });
      const aggregate = (r: EvaluationResult, n: number) => ({ accuracy: r.accuracy, macro_f1: r.f1, loss: r.loss, samples: n });
      const written = await this.submissions.recordScores(sub.id, job.round, sub, {
        publicScore,
        privateScore,
        publicShown,
        metrics: { public: aggregate(pub, pub.confusionMatrix.flat().reduce((s, v) => s + v, 0)), private: aggregate(priv, priv.confusionMatrix.flat().reduce((s, v) => s + v, 0)) },
      });
      if (!written) return 'superseded';
      log(`scored ${a.primaryMetric} public ${publicScore.toFixed(4)} (shown ${publicShown})`);
      return 'scored';
    } catch (err) {
      if (!(err instanceof Unscorable) && !ctx.lastTry) throw err; // a store or database outage: retry
      const reason = err instanceof Error ? err.message : String(err);
      await this.submissions.fail(sub.id, job.round, reason);
      log(`failed: ${reason}`);
      return 'failed';
    }
  }

  private async score(
    checkpointId: string,
    experimentId: string,
    a: { datasetId: string; publicFraction: number; splitSeed: number; maxParams: number | null },
  ): Promise<{ pub: EvaluationResult; priv: EvaluationResult }> {
    const checkpoint = await this.prisma.checkpoint.findUnique({ where: { id: checkpointId } });
    if (!checkpoint) throw new Unscorable('the submitted checkpoint was deleted before it could be scored');
    const experiment = await this.prisma.experiment.findUniqueOrThrow({ where: { id: experimentId } });
    const spec = experiment.spec as unknown as ExperimentSpec & { pipeline: PipelineSpec };
    const dataset = await this.datasets.getById(a.datasetId);
    const file = (role: string) => {
      const f = dataset.files.find((x) => x.role === role);
      if (!f) throw new Unscorable(`the assignment's dataset has no ${role} file`);
      return this.store.getBytes(f.storageKey);
    };
    const [imagesBuf, labelsBuf] = await Promise.all([file('TEST_IMAGES'), file('TEST_LABELS')]);
    const images = parseIdx(imagesBuf, 'images', 'hidden-images');
    const labels = parseIdx(labelsBuf, 'labels', 'hidden-labels');
    const hidden: ImageSplit = { images: images.data, labels: labels.data, count: images.dims[0], shape: [images.dims[1], images.dims[2], 1] };
    const numClasses = dataset.numClasses ?? 10;

    this.backend ??= initBackend(this.config.worker.backend);
    await this.backend;
    const model = modelFromCheckpoint(await this.store.getBytes(checkpoint.storageKey));
    try {
      const outClasses = model.outputs[0].shape[model.outputs[0].shape.length - 1];
      if (outClasses !== numClasses) throw new Unscorable(`the checkpoint predicts ${outClasses} classes; the assignment's dataset has ${numClasses}`);
      const takes = model.inputs[0].shape.slice(1);
      const gets = outputShape(spec.pipeline, hidden.shape);
      if (takes.join('x') !== gets.join('x')) {
        throw new Unscorable(`the checkpoint takes inputs of shape [${takes.join(', ')}], but the experiment's pipeline makes the assignment's images [${gets.join(', ')}]`);
      }
      const params = model.countParams();
      if (a.maxParams !== null && params > a.maxParams) throw new Unscorable(`the model has ${params} parameters; the assignment allows at most ${a.maxParams}`);
      const { publicIdx, privateIdx } = partitionHiddenSplit(hidden.count, a.publicFraction, a.splitSeed);
      const run = async (idx: number[]) => {
        const part = subset(hidden, idx);
        const source = buildBatchSource(part, { map: spec.pipeline.map, batch: { size: Math.min(256, part.count), dropRemainder: false } }, {
          seed: 0,
          shuffle: false,
          dropRemainder: false,
        });
        return evaluate(model, source.epoch(0), numClasses);
      };
      return { pub: await run(publicIdx), priv: await run(privateIdx) };
    } finally {
      model.dispose();
    }
  }

  /** Enqueues scoring for submissions left QUEUED or RUNNING (the in-process queue forgets its jobs on exit). */
  async requeueUnscored(enqueue: (p: JobPayloads['scoreSubmission']) => Promise<void>) {
    for (const s of await this.submissions.unscored()) await enqueue({ submissionId: s.id, round: s.scoreRound });
  }
}
