import { Controller, Get, Header, Param, ParseUUIDPipe, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, CurrentTeam, TeamPrincipal } from '@trainyard/auth';
import { ChartsService } from './charts.service';

/**
 * GET /v1/experiments/{id}/charts/loss.svg       loss and accuracy curves
 * GET /v1/experiments/{id}/charts/confusion.svg  the test confusion matrix
 */
@Controller('v1/experiments')
@UseGuards(ApiKeyGuard)
export class ChartsController {
  constructor(private readonly charts: ChartsService) {}

  @Get(':id/charts/loss.svg')
  @Header('content-type', 'image/svg+xml; charset=utf-8')
  loss(@CurrentTeam() team: TeamPrincipal, @Param('id', new ParseUUIDPipe()) id: string) {
    return this.charts.lossChart(team.id, id);
  }

  @Get(':id/charts/confusion.svg')
  @Header('content-type', 'image/svg+xml; charset=utf-8')
  confusion(@CurrentTeam() team: TeamPrincipal, @Param('id', new ParseUUIDPipe()) id: string) {
    return this.charts.confusionChart(team.id, id);
  }
}
