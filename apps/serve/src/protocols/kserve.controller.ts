import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { CurrentTeam, Public, TeamPrincipal } from '@trainyard/auth';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import type { Request, Response } from 'express';
import { PredictKeyGuard } from '../access/predict-key.guard';
import type { ModelRef } from '../inference/deployment-cache';
import { InferenceService, InferResult } from '../inference/inference.service';
import { ServeMetrics } from '../serve-metrics';
import { parseJsonBody, readBody } from './body';
import { inferResponse, modelMetadata, parseInferRequest } from './kserve';
import { ServeExceptionFilter } from './serve-exception.filter';
import { parseVersion, setServeHeaders } from './tf-serving.controller';

const VERSION: string = (() => {
  try {
    return String(require('../../../../package.json').version);
  } catch {
    return '0';
  }
})();

/** KServe / Open Inference Protocol v2: health and server metadata (no key needed). */
@Controller('v2')
@Public() // health and server metadata: no key
@UseFilters(ServeExceptionFilter)
export class KServeHealthController {
  @Get()
  server() {
    return { name: 'trainyard', version: VERSION, extensions: [] as string[] };
  }

  @Get('health/live')
  live() {
    return { live: true };
  }

  @Get('health/ready')
  ready() {
    return { ready: true };
  }
}

/** KServe / Open Inference Protocol v2: model metadata, readiness and inference, per team. */
@Controller('v2/models')
@Public() // not the API's key/role guard: serve's own PredictKeyGuard (admin or predict keys)
@UseGuards(PredictKeyGuard)
@UseFilters(ServeExceptionFilter)
export class KServeController {
  constructor(
    private readonly inference: InferenceService,
    private readonly metrics: ServeMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get(':name')
  metadata(@CurrentTeam() team: TeamPrincipal, @Param('name') name: string) {
    return this.metadataOf(team, { name });
  }

  @Get(':name/versions/:version')
  versionMetadata(@CurrentTeam() team: TeamPrincipal, @Param('name') name: string, @Param('version') version: string) {
    return this.metadataOf(team, { name, version: parseVersion(version) });
  }

  @Get(':name/ready')
  async ready(@CurrentTeam() team: TeamPrincipal, @Param('name') name: string) {
    await this.inference.resolve(team, { name });
    return { name, ready: true };
  }

  @Get(':name/versions/:version/ready')
  async versionReady(@CurrentTeam() team: TeamPrincipal, @Param('name') name: string, @Param('version') version: string) {
    await this.inference.resolve(team, { name, version: parseVersion(version) });
    return { name, version, ready: true };
  }

  @Post(':name/infer')
  @HttpCode(200)
  infer(@CurrentTeam() team: TeamPrincipal, @Param('name') name: string, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.run(team, { name }, req, res);
  }

  @Post(':name/versions/:version/infer')
  @HttpCode(200)
  inferVersion(@CurrentTeam() team: TeamPrincipal, @Param('name') name: string, @Param('version') version: string, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.run(team, { name, version: parseVersion(version) }, req, res);
  }

  private async metadataOf(team: TeamPrincipal, ref: ModelRef) {
    const { model, version } = await this.inference.resolve(team, ref);
    return modelMetadata(model, this.inference.status(version));
  }

  private async run(team: TeamPrincipal, ref: ModelRef, req: Request, res: Response) {
    const started = performance.now();
    (req as Request & { serveProtocol?: string }).serveProtocol = 'kserve';
    const { result, response } = await this.answer(team, ref, await readBody(req, this.config.serve.maxBodyBytes));
    this.metrics.ok('kserve', result.model, result.version, started);
    setServeHeaders(res, result);
    return response;
  }

  /** After the key check and the body read (shared with the fast predict path): parse, resolve, infer, shape. */
  async answer(team: TeamPrincipal, ref: ModelRef, bytes: Buffer): Promise<{ result: InferResult; response: object }> {
    const body = parseJsonBody(bytes); // refused before any lookup
    const { version } = await this.inference.resolve(team, ref);
    const parsed = parseInferRequest(body, version.signature, this.config.serve.maxInstances);
    const result = await this.inference.inferOn(version, parsed.samples);
    return { result, response: inferResponse(result, parsed) };
  }
}
