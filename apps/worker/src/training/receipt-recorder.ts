import { Injectable } from '@nestjs/common';
import { buildReceipt, datasetDigest } from '@trainyard/common';
import { DatasetVersionRepository, ExperimentRepository } from '@trainyard/db';
import { runtimeEnvironment } from '@trainyard/engine';

type ExperimentRow = NonNullable<Awaited<ReturnType<ExperimentRepository['getById']>>>;

/**
 * Writes an experiment's reproducibility receipt once its training thread has picked a backend:
 * the dataset version's digest, the resolved spec and seed, the fine-tune base and the runtime
 * (backend, library versions, kernel set). One fenced statement, with the backend.
 */
@Injectable()
export class ReceiptRecorder {
  constructor(
    private readonly experiments: ExperimentRepository,
    private readonly versions: DatasetVersionRepository,
  ) {}

  async record(experiment: ExperimentRow, attempt: number, backend: string): Promise<void> {
    const receipt = buildReceipt(experiment, await this.contents(experiment), runtimeEnvironment(backend));
    await this.experiments.update(experiment.id, attempt, { backend, receipt: receipt as object });
  }

  /** The files whose digests make the dataset digest: the version's sources. */
  async contents(e: { datasetId: string; datasetVersionId: string | null }): Promise<Array<{ name: string; sha256: string }>> {
    if (!e.datasetVersionId) return [];
    const v = await this.versions.getById(e.datasetVersionId);
    return (v?.sources ?? []).map((s) => ({ name: s.name, sha256: s.sha256 ?? '' }));
  }

  digest(e: { datasetId: string; datasetVersionId: string | null }) {
    return this.contents(e).then(datasetDigest);
  }
}
