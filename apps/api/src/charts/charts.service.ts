import { Injectable } from '@nestjs/common';
import { Principal, VisibilityService } from '@trainyard/auth';
import { ErrorCode, notFound, TrainyardError } from '@trainyard/common';
import { EvaluationRepository, ExperimentRepository } from '@trainyard/db';
import { HiddenSplits } from '../assignments/hidden-splits.service';
import { heatmap, lineChart, Series } from './svg';

/** An experiment's summaries as charts a person can look at. */
@Injectable()
export class ChartsService {
  constructor(
    private readonly experiments: ExperimentRepository,
    private readonly evaluations: EvaluationRepository,
    private readonly visibility: VisibilityService,
    private readonly hidden: HiddenSplits,
  ) {}

  /** The experiment, if the caller may see it, and whether its test scores are a hidden split's the caller must not see. */
  private async visible(p: Principal, id: string) {
    const e = await this.experiments.get(p.team.id, id);
    await this.visibility.assertSees(p, e.userId, 'experiment', id);
    return { e, hidesTest: await this.hidden.hidesFrom(p, e.datasetId) };
  }

  /**
   * The training loss by step (LossMonitor's series) on the left axis; on the right, accuracy on the
   * test split: of each evaluated checkpoint (evaluateCheckpoint on the run's dataset) and at the end.
   */
  async lossChart(p: Principal, id: string): Promise<string> {
    const { e, hidesTest } = await this.visible(p, id);
    const losses = await this.experiments.losses(id, 0, 10_000);
    const evaluated = hidesTest ? [] : await this.evaluations.succeededForExperiment(id, e.datasetId);
    const final = hidesTest ? undefined : (e.metrics as { accuracy?: number } | null)?.accuracy;
    const series: Series[] = [
      { name: 'training loss', color: '#1f77b4', points: losses.map((l) => ({ x: l.step, y: l.loss })) },
      {
        name: 'checkpoint accuracy',
        color: '#ff7f0e',
        axis: 'right',
        markers: true,
        points: evaluated.map((v) => ({ x: v.checkpoint.step, y: (v.metrics as { accuracy: number }).accuracy })),
      },
    ];
    if (final !== undefined) series.push({ name: 'final test accuracy', color: '#d62728', axis: 'right', markers: true, points: [{ x: e.step, y: final }] });
    return lineChart({ title: `${e.name}: loss and accuracy`, xLabel: 'step', leftLabel: 'loss', rightLabel: 'accuracy', rightRange: [0, 1], series });
  }

  /** The confusion matrix of the test evaluation: rows are true classes, columns predicted ones. */
  async confusionChart(p: Principal, id: string): Promise<string> {
    const { e, hidesTest } = await this.visible(p, id);
    // The confusion matrix of a hidden split counts its labels per class: for students it does not exist.
    if (hidesTest) throw notFound('confusion matrix of experiment', id);
    const matrix = (e.metrics as { confusionMatrix?: number[][] } | null)?.confusionMatrix;
    if (!matrix) throw new TrainyardError(ErrorCode.CONFLICT, `experiment ${id} is ${e.status} and has no test metrics yet`);
    const labels = matrix.map((_, i) => String(i));
    return heatmap({ title: `${e.name}: confusion matrix (test split)`, matrix, rowLabels: labels, colLabels: labels, rowTitle: 'true class', colTitle: 'predicted class' });
  }
}
