import { Controller, Get, Header, Param, ParseUUIDPipe, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, CurrentPrincipal, Principal } from '@trainyard/auth';
import { ChartsService } from './charts.service';

/**
 * GET /v1/experiments/{id}/charts/loss.svg       loss and accuracy curves
 * GET /v1/experiments/{id}/charts/confusion.svg  the test confusion matrix
 * In a course students chart only their own (and their group's) runs, and never a hidden split's
 * scores: no test accuracy on the loss chart, and no confusion matrix (NOT_FOUND).
 */
@Controller('v1/experiments')
@UseGuards(ApiKeyGuard)
export class ChartsController {
  constructor(private readonly charts: ChartsService) {}

  @Get(':id/charts/loss.svg')
  @Header('content-type', 'image/svg+xml; charset=utf-8')
  loss(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string) {
    return this.charts.lossChart(p, id);
  }

  @Get(':id/charts/confusion.svg')
  @Header('content-type', 'image/svg+xml; charset=utf-8')
  confusion(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string) {
    return this.charts.confusionChart(p, id);
  }
}
