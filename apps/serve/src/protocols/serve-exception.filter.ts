import { ArgumentsHost, Catch, ExceptionFilter, Inject, Logger } from '@nestjs/common';
import { toClientError } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { translatePrismaError } from '@trainyard/db';
import type { Request, Response } from 'express';
import { ServeMetrics } from '../serve-metrics';

/**
 * Errors on the predict routes as TF Serving and KServe clients expect them: `{"error": "..."}`
 * (plus Trainyard's stable `code`), the fitting status, Retry-After on 429 and 503.
 */
@Catch()
export class ServeExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Serve');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: ServeMetrics,
  ) {}

  catch(exception: unknown, host: ArgumentsHost) {
    const req = host.switchToHttp().getRequest<Request & { serveProtocol?: string; serveStarted?: number }>();
    const res = host.switchToHttp().getResponse<Response>();
    const protocol = req.serveProtocol ?? (req.path.startsWith('/v2') ? 'kserve' : 'tfserving');
    const param = (k: string) => {
      const v = (req.params as Record<string, string | string[] | undefined> | undefined)?.[k];
      return (Array.isArray(v) ? v[0] : v) ?? '';
    };
    const answer = this.answer(exception, protocol, (param('name') || param('target')).split(':')[0], param('version'));
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const [k, v] of answer.headers) res.setHeader(k, v);
    res.status(answer.status).json(answer.body);
  }

  /**
   * The client's answer to an error on a predict route (status, headers, body), counted in the
   * metrics: shared by this filter and the fast predict path, so both answer alike.
   */
  answer(exception: unknown, protocol: string, modelName: string, versionParam: string): { status: number; headers: Array<[string, string]>; body: { error: string; code: string } } {
    const e = toClientError(translatePrismaError(exception), this.config.env === 'production', this.logger);
    // Names of models that do not exist stay out of the labels (a client could make them up at will).
    const model = e.code === 'NOT_FOUND' || e.code === 'UNAUTHENTICATED' ? '-' : modelName.slice(0, 64) || '-';
    const version = model === '-' ? '' : versionParam.slice(0, 12);
    this.metrics.errors.inc({ protocol, model, version, code: e.code });
    this.metrics.requests.inc({ protocol, model, version, status: String(e.status) });
    const headers: Array<[string, string]> = [];
    const retry = e.details?.retryAfterSeconds;
    if (typeof retry === 'number') headers.push(['Retry-After', String(retry)]);
    else if (e.status === 503) headers.push(['Retry-After', '1']);
    return { status: e.status, headers, body: { error: e.message, code: e.code } };
  }
}
