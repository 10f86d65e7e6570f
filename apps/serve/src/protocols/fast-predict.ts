import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { TeamPrincipal } from '@trainyard/auth';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { HttpMetrics, securityHeaders } from '@trainyard/platform';
import { PredictKeyGuard } from '../access/predict-key.guard';
import type { InferResult } from '../inference/inference.service';
import type { ModelRef } from '../inference/deployment-cache';
import { ServeMetrics } from '../serve-metrics';
import { readBody } from './body';
import { KServeController } from './kserve.controller';
import { ServeExceptionFilter } from './serve-exception.filter';
import { parseVersion, serveHeaders, TfServingController, Verb } from './tf-serving.controller';

// Only plain URLs take the fast path; anything else (percent-encoding, other query strings, names
// outside this alphabet, other methods) goes to Express/Nest, whose answers these mirror.
const SEG = '([A-Za-z0-9._-]{1,128})';
const TF_ROUTE = new RegExp(`^/v1/models/${SEG}(?:/(versions|labels)/${SEG})?:(predict|classify|regress)(?:\\?top_k=([A-Za-z0-9._-]{0,32}))?$`);
const KSERVE_ROUTE = new RegExp(`^/v2/models/${SEG}(?:/versions/${SEG})?/infer$`);

interface Route {
  protocol: 'tfserving' | 'kserve';
  name: string;
  /** What the Nest routes' error filter labels errors with (TF Serving routes have no version param). */
  versionParam: string;
  run(team: TeamPrincipal, body: Buffer, type: string | undefined): Promise<{ result: InferResult; response: object }>;
}

/**
 * The predict routes (TF Serving :predict/:classify/:regress, KServe v2 /infer) answered straight on
 * node:http, in front of Express and Nest: the same key check and rate limit (PredictKeyGuard), body
 * limits, adapters (the controllers' `answer`), error answers and metrics (ServeExceptionFilter,
 * ServeMetrics, HttpMetrics) and security headers (helmet's, computed once), without the router,
 * middleware chain, guards/pipes/interceptors machinery and Express's response helpers per call.
 * Every other request, and every request when SERVE_FAST_PATH=false, goes to Express as before.
 */
export class FastPredictPath {
  private readonly baseHeaders: Record<string, string>;
  private readonly corsOn: boolean;

  constructor(
    private readonly guard: PredictKeyGuard,
    private readonly errors: ServeExceptionFilter,
    private readonly tf: TfServingController,
    private readonly kserve: KServeController,
    private readonly metrics: ServeMetrics,
    private readonly http: HttpMetrics,
    private readonly config: AppConfig,
  ) {
    this.baseHeaders = Object.fromEntries(securityHeaders(config));
    this.corsOn = config.http.corsOrigins.length > 0;
  }

  /** Puts the fast path in front of the app's request listener (Express). */
  static install(app: INestApplication): FastPredictPath | undefined {
    const config = app.get<AppConfig>(APP_CONFIG);
    if (!config.serve.fastPath) return undefined;
    const fast = new FastPredictPath(
      app.get(PredictKeyGuard),
      app.get(ServeExceptionFilter),
      app.get(TfServingController),
      app.get(KServeController),
      app.get(ServeMetrics),
      app.get(HttpMetrics, { strict: false }),
      config,
    );
    const server = app.getHttpServer() as Server;
    const others = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (fast.take(req, res)) return;
      for (const l of others) l.call(server, req, res);
    });
    return fast;
  }

  /** True when this path answers the request (it then owns it). */
  take(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    // CORS preflight rules and headers live in Express's middleware.
    if (this.corsOn && req.headers.origin !== undefined) return false;
    const route = this.route(url);
    if (!route) return false;
    this.http.track(res);
    void this.serve(route, req, res);
    return true;
  }

  private route(url: string): Route | undefined {
    if (url.startsWith('/v1/models/')) {
      const m = TF_ROUTE.exec(url);
      if (!m) return undefined;
      const [, name, kind, sel, verb, k] = m;
      return {
        protocol: 'tfserving',
        name,
        versionParam: '',
        run: (team, body, type) => {
          const ref: ModelRef = kind === 'versions' ? { name, version: parseVersion(sel) } : kind === 'labels' ? { name, label: sel } : { name };
          return this.tf.answer(team, ref, verb as Verb, type, body, k);
        },
      };
    }
    if (url.startsWith('/v2/models/')) {
      const m = KSERVE_ROUTE.exec(url);
      if (!m) return undefined;
      const [, name, v] = m;
      return {
        protocol: 'kserve',
        name,
        versionParam: v ?? '',
        run: (team, body) => this.kserve.answer(team, v === undefined ? { name } : { name, version: parseVersion(v) }, body),
      };
    }
    return undefined;
  }

  private async serve(route: Route, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    try {
      // The order of the Nest routes: the key (and its rate limit), then the body, then the rest.
      const team = await this.guard.admit(req.headers.authorization, req.socket.remoteAddress);
      const body = await readBody(req as never, this.config.serve.maxBodyBytes);
      const { result, response } = await route.run(team, body, req.headers['content-type']);
      this.metrics.ok(route.protocol, result.model, result.version, started);
      const headers: Record<string, string> = { ...this.baseHeaders };
      for (const [k, v] of serveHeaders(result)) headers[k] = v;
      this.send(res, 200, headers, JSON.stringify(response));
    } catch (err) {
      const a = this.errors.answer(err, route.protocol, route.name, route.versionParam);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const headers: Record<string, string> = { ...this.baseHeaders };
      for (const [k, v] of a.headers) headers[k] = v;
      this.send(res, a.status, headers, JSON.stringify(a.body));
    }
  }

  private send(res: ServerResponse, status: number, headers: Record<string, string>, json: string) {
    headers['Content-Type'] = 'application/json; charset=utf-8';
    headers['Content-Length'] = String(Buffer.byteLength(json));
    res.writeHead(status, headers);
    res.end(json);
  }
}
