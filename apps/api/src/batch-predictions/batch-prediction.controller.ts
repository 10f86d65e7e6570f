import { Controller, Get, Inject, Param, ParseUUIDPipe, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole } from '@trainyard/auth';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { BatchPredictionService } from './batch-prediction.service';

/** GET /v1/batch-predictions/:id/download streams a finished prediction file (the caller's team only; else 404; 409 before it is done). */
@Controller('v1/batch-predictions')
@UseGuards(ApiKeyGuard)
export class BatchPredictionController {
  constructor(
    private readonly service: BatchPredictionService,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
  ) {}

  @Get(':id/download')
  @RequireRole('viewer')
  async download(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe({ errorHttpStatusCode: 404 })) id: string, @Res() res: Response) {
    const row = await this.service.downloadable(p, id);
    const stream = await this.store.get(row.storageKey);
    const csv = row.format === 'CSV';
    res.setHeader('content-type', csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    if (row.sizeBytes != null) res.setHeader('content-length', String(row.sizeBytes));
    res.setHeader('content-disposition', `attachment; filename="predictions-${row.id}.${csv ? 'csv' : 'jsonl'}"`);
    await pipeline(stream, res);
  }
}
