import { Controller, Get, Inject, Param, ParseUUIDPipe, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole, VisibilityService } from '@trainyard/auth';
import { CheckpointRepository } from '@trainyard/db';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';

/** GET /v1/checkpoints/:id streams a checkpoint (weights and optimizer state) of the caller's team. */
@Controller('v1/checkpoints')
@UseGuards(ApiKeyGuard)
export class CheckpointController {
  constructor(
    private readonly checkpoints: CheckpointRepository,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly visibility: VisibilityService,
  ) {}

  @Get(':id')
  @RequireRole('viewer')
  async download(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Res() res: Response) {
    const c = await this.checkpoints.getForTeam(p.team.id, id);
    await this.visibility.assertSees(p, c.experiment.userId, 'checkpoint', id);
    const stream = await this.store.get(c.storageKey);
    res.setHeader('content-type', 'application/octet-stream');
    res.setHeader('content-length', String(c.sizeBytes));
    res.setHeader('content-disposition', `attachment; filename="${c.experimentId}-step-${c.step}.ckpt"`);
    await pipeline(stream, res);
  }
}
