import type { ExportRow } from '@trainyard/db';
import { CheckpointExport, ExportFormat, ExportStatus } from './export.types';

/** The download route of each format. */
export const downloadPath = (checkpointId: string, format: ExportFormat) => `/v1/checkpoints/${checkpointId}/${format.toLowerCase()}`;

export function toCheckpointExport(row: ExportRow): CheckpointExport {
  const format = row.format as ExportFormat;
  return {
    id: row.id,
    checkpointId: row.checkpointId,
    format,
    status: row.status as ExportStatus,
    sizeBytes: row.sizeBytes,
    sha256: row.sha256,
    opsetVersion: row.opsetVersion,
    maxAbsDiff: row.maxAbsDiff,
    failureReason: row.failureReason,
    downloadUrl: row.status === 'SUCCEEDED' ? downloadPath(row.checkpointId, format) : null,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  };
}
