import { Controller, Get, Inject, Param, ParseUUIDPipe, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole, VisibilityService } from '@trainyard/auth';
import { CheckpointRepository } from '@trainyard/db';
import { checkpointToLayersModel, TfjsLayersModel } from '@trainyard/engine';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';

const CACHED = 4;

/**
 * A checkpoint as a plain TensorFlow.js layers model, for stock tfjs outside Trainyard:
 *   GET /v1/checkpoints/{id}/tfjs/model.json    topology + weights manifest
 *   GET /v1/checkpoints/{id}/tfjs/weights.bin   the weights model.json names (a relative path)
 * so `tf.loadLayersModel('<base>/v1/checkpoints/{id}/tfjs/model.json', { requestInit: { headers } })`
 * loads it. Served by the serve role, which holds the engine (the API process does not load tfjs).
 */
@Controller('v1/checkpoints')
@UseGuards(ApiKeyGuard)
export class TfjsModelController {
  /** Conversions by checkpoint id (bytes never change): model.json and weights.bin come in pairs. */
  private readonly converted = new Map<string, Promise<TfjsLayersModel>>();

  constructor(
    private readonly checkpoints: CheckpointRepository,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly visibility: VisibilityService,
  ) {}

  @Get(':id/tfjs/model.json')
  @RequireRole('viewer')
  async modelJson(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Res() res: Response) {
    const { modelJson } = await this.convert(p, id);
    res.setHeader('content-type', 'application/json');
    res.send(JSON.stringify(modelJson));
  }

  @Get(':id/tfjs/weights.bin')
  @RequireRole('viewer')
  async weights(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Res() res: Response) {
    const { weights } = await this.convert(p, id);
    res.setHeader('content-type', 'application/octet-stream');
    res.setHeader('content-length', String(weights.byteLength));
    res.end(Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength));
  }

  /** NOT_FOUND for another team's id, and in a course for a classmate's checkpoint (students see their own and their group's). */
  private async convert(who: Principal, id: string): Promise<TfjsLayersModel> {
    const c = await this.checkpoints.getForTeam(who.team.id, id);
    await this.visibility.assertSees(who, c.experiment.userId, 'checkpoint', id);
    let p = this.converted.get(c.id);
    if (!p) {
      p = this.store.getBytes(c.storageKey).then((bytes) => checkpointToLayersModel(bytes));
      p.catch(() => this.converted.delete(c.id));
      this.converted.set(c.id, p);
      while (this.converted.size > CACHED) this.converted.delete(this.converted.keys().next().value!);
    }
    return p;
  }
}
