import { Injectable } from '@nestjs/common';
import { CheckpointExportRepository, CheckpointRepository, ExperimentRepository, ExportFormatName } from '@trainyard/db';
import DataLoader from 'dataloader';

type CheckpointRow = Awaited<ReturnType<CheckpointRepository['forExperiments']>>[number];
type LossRow = Awaited<ReturnType<ExperimentRepository['lossesForMany']>>[number];
type ExportRow = Awaited<ReturnType<CheckpointExportRepository['forCheckpoints']>>[number];
type EpochSummaryRow = Awaited<ReturnType<ExperimentRepository['epochSummariesFor']>>[number];

interface RequestLoaders {
  checkpoints: DataLoader<string, CheckpointRow[]>;
  /** Keyed by the window too: experiments asked for with the same (afterStep, limit) share one query. */
  losses: Map<string, DataLoader<string, LossRow[]>>;
  /** Keyed by the format filter ('' for all). */
  exports: Map<string, DataLoader<string, ExportRow[]>>;
  lossCounts: DataLoader<string, number>;
  epochSummaries: DataLoader<string, EpochSummaryRow[]>;
}

/**
 * DataLoaders for list fields that would otherwise run one query per parent (`experiments {
 * checkpoints losses }`): one query per field per request. Loaders live as long as their request
 * (keyed weakly by it), so nothing is cached across requests or teams.
 */
@Injectable()
export class Loaders {
  private readonly byRequest = new WeakMap<object, RequestLoaders>();

  constructor(
    private readonly checkpointRepo: CheckpointRepository,
    private readonly experimentRepo: ExperimentRepository,
    private readonly exportRepo: CheckpointExportRepository,
  ) {}

  private of(req: object): RequestLoaders {
    let l = this.byRequest.get(req);
    if (!l) {
      l = {
        checkpoints: new DataLoader(async (ids) => {
          const rows = await this.checkpointRepo.forExperiments([...ids]);
          return ids.map((id) => rows.filter((r) => r.experimentId === id));
        }),
        losses: new Map(),
        exports: new Map(),
        lossCounts: new DataLoader(async (ids) => {
          const counts = await this.experimentRepo.lossCounts([...ids]);
          return ids.map((id) => counts.get(id) ?? 0);
        }),
        epochSummaries: new DataLoader(async (ids) => {
          const rows = await this.experimentRepo.epochSummariesFor([...ids]);
          const by = new Map<string, EpochSummaryRow[]>(ids.map((id) => [id, []]));
          for (const r of rows) by.get(r.experimentId)?.push(r);
          return ids.map((id) => by.get(id)!);
        }),
      };
      this.byRequest.set(req, l);
    }
    return l;
  }

  checkpoints(req: object, experimentId: string) {
    return this.of(req).checkpoints.load(experimentId);
  }

  /** `experiments { epochSummaries }`: one query per request. */
  epochSummaries(req: object, experimentId: string) {
    return this.of(req).epochSummaries.load(experimentId);
  }

  /** How many loss points an experiment has (Experiment.lossPoints.totalCount), one query per request. */
  lossCount(req: object, experimentId: string) {
    return this.of(req).lossCounts.load(experimentId);
  }

  losses(req: object, experimentId: string, afterStep: number, limit: number) {
    const all = this.of(req).losses;
    const key = `${afterStep}:${limit}`;
    let loader = all.get(key);
    if (!loader) {
      loader = new DataLoader(async (ids) => {
        const rows = await this.experimentRepo.lossesForMany([...ids], afterStep, limit);
        const by = new Map<string, LossRow[]>(ids.map((id) => [id, []]));
        for (const r of rows) by.get(r.experimentId)?.push(r);
        return ids.map((id) => by.get(id)!);
      });
      all.set(key, loader);
    }
    return loader.load(experimentId);
  }

  /** `checkpoints { exports }`: the exports of every checkpoint in the answer, one query per format filter. */
  exports(req: object, checkpointId: string, format?: ExportFormatName) {
    const all = this.of(req).exports;
    const key = format ?? '';
    let loader = all.get(key);
    if (!loader) {
      loader = new DataLoader(async (ids) => {
        const rows = await this.exportRepo.forCheckpoints([...ids], format);
        const by = new Map<string, ExportRow[]>(ids.map((id) => [id, []]));
        for (const r of rows) by.get(r.checkpointId)?.push(r);
        return ids.map((id) => by.get(id)!);
      });
      all.set(key, loader);
    }
    return loader.load(checkpointId);
  }
}
