import { Controller, Get, Param, ParseUUIDPipe, Put, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ApiKeyGuard, CurrentTeam, TeamPrincipal } from '@trainyard/auth';
import { toDataset } from './dataset.resolver';
import { DatasetService } from './dataset.service';

/**
 * Dataset files travel over plain HTTP, streamed both ways:
 *   PUT /v1/datasets/:id/files/:file   (body: the idx file, gzipped or not)
 *   GET /v1/datasets/:id/files/:file
 * with :file one of train-images, train-labels, test-images, test-labels.
 */
@Controller('v1/datasets/:id/files')
@UseGuards(ApiKeyGuard)
export class DatasetFileController {
  constructor(private readonly datasets: DatasetService) {}

  @Put(':file')
  async upload(
    @CurrentTeam() team: TeamPrincipal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('file') file: string,
    @Req() req: Request,
  ) {
    return toDataset(await this.datasets.upload(team.id, id, file, req));
  }

  @Get(':file')
  async download(
    @CurrentTeam() team: TeamPrincipal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('file') file: string,
    @Res() res: Response,
  ) {
    const { stream, file: row } = await this.datasets.download(team.id, id, file);
    res.setHeader('content-type', 'application/octet-stream');
    res.setHeader('content-length', String(row.sizeBytes));
    res.setHeader('content-disposition', `attachment; filename="${file}${row.gzipped ? '.gz' : ''}"`);
    await pipeline(stream, res);
  }
}
