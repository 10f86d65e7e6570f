import { Controller, Get, Param, ParseUUIDPipe, Put, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole } from '@trainyard/auth';
import { HiddenSplits } from '../assignments/hidden-splits.service';
import { toDataset } from './dataset.resolver';
import { DatasetService, FILE_ROLES, FileSlug } from './dataset.service';

const splitOf = (slug: string) => FILE_ROLES[slug as FileSlug]?.split ?? 'test';

/**
 * Dataset files travel over plain HTTP, streamed both ways:
 *   PUT /v1/datasets/:id/files/:file   (body: the idx file, gzipped or not)
 *   GET /v1/datasets/:id/files/:file
 * with :file one of train-images, train-labels, test-images, test-labels.
 */
@Controller('v1/datasets/:id/files')
@UseGuards(ApiKeyGuard)
export class DatasetFileController {
  constructor(
    private readonly datasets: DatasetService,
    private readonly hidden: HiddenSplits,
  ) {}

  @Put(':file')
  @RequireRole('member')
  async upload(
    @CurrentPrincipal() p: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('file') file: string,
    @Req() req: Request,
  ) {
    await this.hidden.guardFile(p, id, splitOf(file), true);
    return toDataset(await this.datasets.upload(p.team.id, id, file, req));
  }

  @Get(':file')
  @RequireRole('viewer')
  async download(
    @CurrentPrincipal() p: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('file') file: string,
    @Res() res: Response,
  ) {
    await this.hidden.guardFile(p, id, splitOf(file), false);
    const { stream, file: row } = await this.datasets.download(p.team.id, id, file);
    res.setHeader('content-type', 'application/octet-stream');
    res.setHeader('content-length', String(row.sizeBytes));
    res.setHeader('content-disposition', `attachment; filename="${file}${row.gzipped ? '.gz' : ''}"`);
    await pipeline(stream, res);
  }
}
