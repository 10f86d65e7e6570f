import { Inject, Injectable } from '@nestjs/common';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { CheckpointExportRepository, CheckpointRepository, ExportRow } from '@trainyard/db';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';
import { ExportFormat } from './export.types';

/** The rules around checkpoint exports: who may ask, when a job is queued, when a file can be read. */
@Injectable()
export class CheckpointExportService {
  constructor(
    private readonly checkpoints: CheckpointRepository,
    private readonly exports: CheckpointExportRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  /**
   * Queues the export of a checkpoint of the team (NOT_FOUND for anyone else's). Asking again
   * returns the same export; asking after a FAILED one starts a new one.
   */
  async request(teamId: string, checkpointId: string, format: ExportFormat): Promise<ExportRow> {
    const checkpoint = await this.checkpoints.getForTeam(teamId, checkpointId);
    const { row } = await this.exports.request(checkpoint.id, format);
    // Enqueue whenever it is not finished: the job id dedupes, and a request whose first try died
    // between the insert and the enqueue still gets its job.
    if (row.status === 'QUEUED' || row.status === 'RUNNING') await this.queue.enqueue('exportCheckpoint', { exportId: row.id });
    return row;
  }

  get(teamId: string, exportId: string): Promise<ExportRow> {
    return this.exports.getForTeam(teamId, exportId);
  }

  forCheckpoint(checkpointId: string, format?: ExportFormat): Promise<ExportRow[]> {
    return this.exports.forCheckpoint(checkpointId, format);
  }

  /** The stored file of a finished export: NOT_FOUND when there is none for this team, CONFLICT while it is not finished. */
  async downloadable(teamId: string, checkpointId: string, format: ExportFormat) {
    const row = await this.exports.findForTeam(teamId, checkpointId, format);
    if (!row) throw new TrainyardError(ErrorCode.NOT_FOUND, `checkpoint ${checkpointId.slice(0, 36)} has no ${format} export`, { checkpointId, format });
    if (row.status !== 'SUCCEEDED' || !row.storageKey) {
      throw new TrainyardError(ErrorCode.CONFLICT, `the ${format} export of checkpoint ${checkpointId} is ${row.status}, not SUCCEEDED`, {
        exportId: row.id,
        status: row.status,
      });
    }
    return { ...row, storageKey: row.storageKey };
  }
}
