import { Controller, Get, Param, ParseUUIDPipe, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import { badInput } from '@trainyard/common';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole } from '@trainyard/auth';
import { HiddenSplits } from '../assignments/hidden-splits.service';
import { DatasetVersionRepository } from '@trainyard/db';
import { DatasetService } from './dataset.service';
import { toDatasetVersion } from './dataset.types';

const declared = (req: Request) => (req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined);

/**
 * The idx way in, kept from before versions, streamed both ways:
 *   PUT /v1/datasets/:id/files/:file   (body: the idx file, gzipped or not; the fourth file starts ingest)
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
  async upload(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Param('file') file: string, @Req() req: Request) {
    await this.hidden.guardFile(p, id, 'train', true);
    return toDatasetVersion(await this.datasets.uploadToDataset(p.team.id, id, file, req, declared(req)));
  }

  @Get(':file')
  @RequireRole('viewer')
  async download(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Param('file') file: string, @Res() res: Response) {
    await this.hidden.guardFile(p, id, file.startsWith('train') ? 'train' : 'test', false, { what: 'dataset file', id: file });
    const { stream, sizeBytes, gzipped } = await this.datasets.download(p.team.id, id, file);
    res.setHeader('content-type', 'application/octet-stream');
    res.setHeader('content-length', String(sizeBytes));
    res.setHeader('content-disposition', `attachment; filename="${file}${gzipped ? '.gz' : ''}"`);
    await pipeline(stream, res);
  }
}

/**
 * PUT /v1/dataset-versions/:id/sources/:name streams one source file (any format) into a version;
 * GET /v1/dataset-versions/:id/preview.png?perClass=6 draws samples per class and the histogram.
 */
@Controller('v1/dataset-versions/:id')
@UseGuards(ApiKeyGuard)
export class DatasetVersionController {
  constructor(
    private readonly datasets: DatasetService,
    private readonly versions: DatasetVersionRepository,
    private readonly hidden: HiddenSplits,
  ) {}

  @Get('preview.png')
  @RequireRole('viewer')
  async preview(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query('perClass') perClass: string | undefined, @Res() res: Response) {
    const n = perClass === undefined ? undefined : Number(perClass);
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 32)) throw badInput('perClass must be an integer 1-32', { field: 'perClass' });
    await this.hidden.guardFile(p, (await this.versions.getForTeam(p.team.id, id)).datasetId, 'test', false, { what: 'dataset version', id });
    const png = await this.datasets.preview(p.team.id, id, n);
    res.setHeader('content-type', 'image/png');
    res.send(png);
  }

  @Put('sources/:name')
  @RequireRole('member')
  async upload(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Param('name') name: string, @Req() req: Request) {
    await this.hidden.guardFile(p, (await this.versions.getForTeam(p.team.id, id)).datasetId, 'train', true);
    return toDatasetVersion(await this.datasets.uploadSource(p.team.id, id, name, req, declared(req)));
  }
}
