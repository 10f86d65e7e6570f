import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { CurrentTeam, Public, TeamPrincipal } from '@trainyard/auth';
import { badInput } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import type { Request, Response } from 'express';
import { PredictKeyGuard } from '../access/predict-key.guard';
import type { ModelRef } from '../inference/deployment-cache';
import { multipartFiles } from '../inference/images';
import { InferenceService, InferResult, SampleInput } from '../inference/inference.service';
import { ServeMetrics } from '../serve-metrics';
import { isImageType, isMultipart, parseJsonBody, readBody } from './body';
import { ServeExceptionFilter } from './serve-exception.filter';
import { classifyResponse, exampleSamples, metadataResponse, predictResponse, predictSamples, statusResponse, versionDetails } from './tf-serving';

const VERBS = ['predict', 'classify', 'regress'] as const;
export type Verb = (typeof VERBS)[number];

export function parseVersion(v: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(v)) throw badInput(`version must be a positive integer, got "${v.slice(0, 16)}"`);
  return Number(v);
}

export function splitTarget(target: string): { name: string; verb: Verb } {
  const at = target.lastIndexOf(':');
  const verb = at > 0 ? target.slice(at + 1) : '';
  if (!(VERBS as readonly string[]).includes(verb)) {
    throw badInput(`unknown method "${verb.slice(0, 32)}"; POST /v1/models/{name}[/versions/{v}|/labels/{l}]:predict, :classify or :regress`);
  }
  return { name: target.slice(0, at), verb: verb as Verb };
}

/**
 * TensorFlow Serving's REST API, per team (the API key picks the team):
 *   GET  /v1/models                                     the team's models (not in TF Serving itself)
 *   GET  /v1/models/{name}[/versions/{v}|/labels/{l}]   status
 *   GET  .../metadata                                   signature_def
 *   POST .../{name}[/versions/{v}|/labels/{l}]:predict|:classify|:regress
 * An image body (image/png, image/jpeg) or multipart/form-data with image files also works on
 * :predict and :classify.
 */
@Controller('v1/models')
@Public() // not the API's key/role guard: serve's own PredictKeyGuard (admin or predict keys)
@UseGuards(PredictKeyGuard)
@UseFilters(ServeExceptionFilter)
export class TfServingController {
  constructor(
    private readonly inference: InferenceService,
    private readonly metrics: ServeMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  async list(@CurrentTeam() team: TeamPrincipal) {
    const models = await this.inference.listModels(team);
    return {
      models: models.map((m) => ({
        name: m.name,
        default_version: m.defaultVersion,
        labels: m.labels,
        versions: [...m.versions.values()].map((v) => versionDetails(m, this.inference.status(v))),
      })),
    };
  }

  @Get(':name')
  async status(@CurrentTeam() team: TeamPrincipal, @Param('name') name: string) {
    const { model } = await this.inference.resolve(team, { name });
    return statusResponse([...model.versions.values()]);
  }

  @Get(':name/metadata')
  metadata(@CurrentTeam() team: TeamPrincipal, @Param('name') name: string) {
    return this.metadataOf(team, { name });
  }

  @Get(':name/versions/:version')
  async versionStatus(@CurrentTeam() team: TeamPrincipal, @Param('name') name: string, @Param('version') version: string) {
    return statusResponse([(await this.inference.resolve(team, { name, version: parseVersion(version) })).version]);
  }

  @Get(':name/versions/:version/metadata')
  versionMetadata(@CurrentTeam() team: TeamPrincipal, @Param('name') name: string, @Param('version') version: string) {
    return this.metadataOf(team, { name, version: parseVersion(version) });
  }

  @Get(':name/labels/:label')
  async labelStatus(@CurrentTeam() team: TeamPrincipal, @Param('name') name: string, @Param('label') label: string) {
    return statusResponse([(await this.inference.resolve(team, { name, label })).version]);
  }

  @Get(':name/labels/:label/metadata')
  labelMetadata(@CurrentTeam() team: TeamPrincipal, @Param('name') name: string, @Param('label') label: string) {
    return this.metadataOf(team, { name, label });
  }

  @Post(':target')
  @HttpCode(200)
  call(@CurrentTeam() team: TeamPrincipal, @Param('target') target: string, @Req() req: Request, @Res({ passthrough: true }) res: Response, @Query('top_k') k?: string) {
    const { name, verb } = splitTarget(target);
    return this.run(team, { name }, verb, req, res, k);
  }

  @Post(':name/versions/:target')
  @HttpCode(200)
  callVersion(@CurrentTeam() team: TeamPrincipal, @Param('name') name: string, @Param('target') target: string, @Req() req: Request, @Res({ passthrough: true }) res: Response, @Query('top_k') k?: string) {
    const { name: v, verb } = splitTarget(target);
    return this.run(team, { name, version: parseVersion(v) }, verb, req, res, k);
  }

  @Post(':name/labels/:target')
  @HttpCode(200)
  callLabel(@CurrentTeam() team: TeamPrincipal, @Param('name') name: string, @Param('target') target: string, @Req() req: Request, @Res({ passthrough: true }) res: Response, @Query('top_k') k?: string) {
    const { name: label, verb } = splitTarget(target);
    return this.run(team, { name, label }, verb, req, res, k);
  }

  private async metadataOf(team: TeamPrincipal, ref: ModelRef) {
    const { model, version } = await this.inference.resolve(team, ref);
    return metadataResponse(model, this.inference.status(version));
  }

  private async run(team: TeamPrincipal, ref: ModelRef, verb: Verb, req: Request, res: Response, k?: string) {
    const started = performance.now();
    // The body first: an oversized, malformed or too deeply nested body is refused (413/400) before
    // any lookup, whatever the model.
    const body = await readBody(req, this.config.serve.maxBodyBytes);
    const { result, response } = await this.answer(team, ref, verb, req.headers['content-type'], body, k);
    this.metrics.ok('tfserving', result.model, result.version, started);
    setServeHeaders(res, result);
    return response;
  }

  /**
   * Everything after the key check and the body read: parse, resolve, infer, shape the answer.
   * Shared by the routes above and the fast predict path (fast-predict.ts).
   */
  async answer(team: TeamPrincipal, ref: ModelRef, verb: Verb, type: string | undefined, body: Buffer, k?: string): Promise<{ result: InferResult; response: object }> {
    const image = isImageType(type) || isMultipart(type);
    const json = image ? undefined : parseJsonBody(body);
    const { version } = await this.inference.resolve(team, ref);
    const sig = version.signature;
    let samples: SampleInput[];
    let format: 'row' | 'columnar' = 'row';
    if (image) {
      if (verb === 'regress') throw badInput(':regress takes a JSON body {"examples": [...]}');
      const images = isImageType(type) ? [{ field: 'body', bytes: body }] : await multipartFiles(body, type!, this.config.serve.maxInstances);
      samples = images.map((f, i) => ({ kind: 'image', bytes: f.bytes, where: images.length === 1 ? 'the image' : `image ${i} (${f.field.slice(0, 32)})` }));
    } else {
      if (verb === 'predict') ({ samples, format } = predictSamples(json, sig));
      else samples = exampleSamples(json, sig);
    }
    if (verb === 'regress') {
      throw badInput(`Expected regression signature method_name to be tensorflow/serving/regress. Was: tensorflow/serving/classify (model ${version.model} is a ${sig.numClasses}-class classifier; use :classify or :predict)`);
    }
    const top = verb === 'classify' ? topKParam(k, sig.numClasses) : 0;
    const result = await this.inference.inferOn(version, samples);
    return { result, response: verb === 'classify' ? classifyResponse(result, top) : predictResponse(result, format) };
  }
}

export function topKParam(k: string | undefined, numClasses: number, fallback = 5): number {
  if (k === undefined) return Math.min(fallback, numClasses);
  if (!/^[1-9][0-9]{0,5}$/.test(k)) throw badInput(`top_k must be a positive integer, got "${String(k).slice(0, 16)}"`);
  return Math.min(Number(k), numClasses);
}

/** Which version answered, and whether this call waited for it to load. */
export function setServeHeaders(res: { setHeader(name: string, value: string): unknown }, r: InferResult) {
  for (const [k, v] of serveHeaders(r)) res.setHeader(k, v);
}

export function serveHeaders(r: InferResult): Array<[string, string]> {
  return [
    ['X-Model-Version', String(r.version)],
    ['X-Model-Runtime', r.runtime],
    ['X-Model-Start', r.cold ? `cold; load_ms=${r.coldStartMs.toFixed(1)}` : 'warm'],
  ];
}

