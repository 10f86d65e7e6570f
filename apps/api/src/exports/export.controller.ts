import { Controller, Get, Inject, Param, ParseUUIDPipe, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole, VisibilityService } from '@trainyard/auth';
import { CheckpointRepository } from '@trainyard/db';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { CheckpointExportService } from './export.service';
import { ExportFormat } from './export.types';

/** GET /v1/checkpoints/:id/onnx streams the checkpoint's ONNX export (caller's team only, in a course the caller's own or group's; else 404). */
@Controller('v1/checkpoints')
@UseGuards(ApiKeyGuard)
export class CheckpointExportController {
  constructor(
    private readonly service: CheckpointExportService,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly checkpoints: CheckpointRepository,
    private readonly visibility: VisibilityService,
  ) {}

  @Get(':id/onnx')
  @RequireRole('viewer')
  async onnx(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe({ errorHttpStatusCode: 404 })) id: string, @Res() res: Response) {
    // In a course, a classmate's checkpoint is NOT_FOUND, as another team's.
    const c = await this.checkpoints.getForTeam(p.team.id, id);
    await this.visibility.assertSees(p, c.experiment.userId, 'checkpoint', id);
    const e = await this.service.downloadable(p.team.id, id, ExportFormat.ONNX);
    const stream = await this.store.get(e.storageKey);
    res.setHeader('content-type', 'application/octet-stream');
    if (e.sizeBytes != null) res.setHeader('content-length', String(e.sizeBytes));
    if (e.sha256) res.setHeader('x-checksum-sha256', e.sha256);
    res.setHeader('content-disposition', `attachment; filename="${e.checkpoint.experimentId}-step-${e.checkpoint.step}.onnx"`);
    await pipeline(stream, res);
  }
}
