import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole, VisibilityService } from '@trainyard/auth';
import { badInput } from '@trainyard/common';
import { DeploymentRepository } from '@trainyard/db';
import { PredictService } from './predict.service';

/**
 * TensorFlow Serving's REST surface, per team (the API key picks the team):
 *   POST /v1/models/{name}:predict   {"instances": [...]} -> {"predictions": [...]}
 *   POST /v1/models/{name}:classify  an image body -> {"class", "probability", "probabilities"}
 *   GET  /v1/models/{name}           model status
 */
@Controller('v1/models')
@UseGuards(ApiKeyGuard)
@RequireRole('viewer')
export class PredictController {
  constructor(
    private readonly predictions: PredictService,
    private readonly visibility: VisibilityService,
    private readonly deployments: DeploymentRepository,
  ) {}

  /** In a course, a student calls only their own (or their group's) deployments; others are not found. */
  private async checkVisible(p: Principal, name: string) {
    if (!this.visibility.restricted(p)) return;
    const d = await this.deployments.getByName(p.team.id, name);
    await this.visibility.assertSees(p, d.checkpoint.experiment.userId, 'model', name);
  }

  @Post(':target')
  @HttpCode(200)
  async call(@CurrentPrincipal() p: Principal, @Param('target') target: string, @Body() body: unknown, @Req() req: Request) {
    const team = p.team;
    const at = target.lastIndexOf(':');
    const [name, verb] = at > 0 ? [target.slice(0, at), target.slice(at + 1)] : [target, ''];
    await this.checkVisible(p, name);
    if (verb === 'predict') return this.predictions.predict(team.id, name, body);
    if (verb === 'classify') return this.predictions.classify(team.id, name, Buffer.isBuffer(req.body) ? req.body : undefined);
    throw badInput(`unknown method "${verb}"; POST /v1/models/{name}:predict or :classify`);
  }

  @Get(':name')
  async status(@CurrentPrincipal() p: Principal, @Param('name') name: string) {
    await this.checkVisible(p, name);
    return this.predictions.status(p.team.id, name);
  }
}
