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
    const e = toClientError(translatePrismaError(exception), this.config.env === 'production', this.logger);
    const req = host.switchToHttp().getRequest<Request & { serveProtocol?: string; serveStarted?: number }>();
    const res = host.switchToHttp().getResponse<Response>();
    const protocol = req.serveProtocol ?? (req.path.startsWith('/v2') ? 'kserve' : 'tfserving');
    const param = (k: string) => {
      const v = (req.params as Record<string, string | string[] | undefined> | undefined)?.[k];
      return (Array.isArray(v) ? v[0] : v) ?? '';
    };
    // Names of models that do not exist stay out of the labels (a client could make them up at will).
    const model = e.code === 'NOT_FOUND' || e.code === 'UNAUTHENTICATED' ? '-' : (param('name') || param('target')).split(':')[0].slice(0, 64) || '-';
    const version = model === '-' ? '' : param('version').slice(0, 12);
    this.metrics.errors.inc({ protocol, model, version, code: e.code });
    this.metrics.requests.inc({ protocol, model, version, status: String(e.status) });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const retry = e.details?.retryAfterSeconds;
    if (typeof retry === 'number') res.setHeader('Retry-After', String(retry));
    else if (e.status === 503) res.setHeader('Retry-After', '1');
    res.status(e.status).json({ error: e.message, code: e.code });
  }
}
