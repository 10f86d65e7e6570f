import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { ApiKeyGuard, CurrentTeam, RequireRole, TeamPrincipal } from '@trainyard/auth';
import { badInput } from '@trainyard/common';
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
  constructor(private readonly predictions: PredictService) {}

  @Post(':target')
  @HttpCode(200)
  async call(@CurrentTeam() team: TeamPrincipal, @Param('target') target: string, @Body() body: unknown, @Req() req: Request) {
    const at = target.lastIndexOf(':');
    const [name, verb] = at > 0 ? [target.slice(0, at), target.slice(at + 1)] : [target, ''];
    if (verb === 'predict') return this.predictions.predict(team.id, name, body);
    if (verb === 'classify') return this.predictions.classify(team.id, name, Buffer.isBuffer(req.body) ? req.body : undefined);
    throw badInput(`unknown method "${verb}"; POST /v1/models/{name}:predict or :classify`);
  }

  @Get(':name')
  status(@CurrentTeam() team: TeamPrincipal, @Param('name') name: string) {
    return this.predictions.status(team.id, name);
  }
}
