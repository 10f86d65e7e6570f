import { Injectable } from '@nestjs/common';
import { MetricsRegistry } from '@trainyard/platform';
import { Counter, Gauge, Histogram } from 'prom-client';

/** Prometheus metrics of hosted predictions, per model and version, in this app's registry (GET /metrics). */
@Injectable()
export class ServeMetrics {
  readonly requests: Counter<string>;
  readonly errors: Counter<string>;
  readonly latency: Histogram<string>;
  readonly batchSize: Histogram<string>;
  readonly queueDepth: Gauge<string>;
  readonly coldStarts: Counter<string>;
  readonly coldStartSeconds: Histogram<string>;
  readonly loadedModels: Gauge<string>;
  readonly loadedBytes: Gauge<string>;

  /** Label children of the success counters, per protocol/model/version (prom-client hashes labels on every call otherwise). */
  private readonly okChildren = new Map<string, { latency: { observe(v: number): void }; requests: { inc(): void } }>();

  constructor(registry: MetricsRegistry) {
    const registers = [registry];
    this.requests = new Counter({ name: 'trainyard_serve_requests_total', help: 'Predict calls answered, by protocol, model, version and HTTP status', labelNames: ['protocol', 'model', 'version', 'status'], registers });
    this.errors = new Counter({ name: 'trainyard_serve_errors_total', help: 'Predict calls that failed, by error code', labelNames: ['protocol', 'model', 'version', 'code'], registers });
    this.latency = new Histogram({ name: 'trainyard_serve_request_duration_seconds', help: 'Predict call latency, seconds', labelNames: ['protocol', 'model', 'version'], buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
    this.batchSize = new Histogram({ name: 'trainyard_serve_batch_size', help: 'Samples per runtime call (dynamic batching)', labelNames: ['model', 'version'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers });
    this.queueDepth = new Gauge({ name: 'trainyard_serve_queue_depth', help: 'Samples waiting for a batch', labelNames: ['model', 'version'], registers });
    this.coldStarts = new Counter({ name: 'trainyard_serve_cold_starts_total', help: 'Model versions loaded on demand', labelNames: ['model', 'version', 'runtime'], registers });
    this.coldStartSeconds = new Histogram({ name: 'trainyard_serve_cold_start_seconds', help: 'Load plus warm-up time of a model version', labelNames: ['model', 'version', 'runtime'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
    this.loadedModels = new Gauge({ name: 'trainyard_serve_loaded_models', help: 'Model versions in memory', registers });
    this.loadedBytes = new Gauge({ name: 'trainyard_serve_loaded_model_bytes', help: 'Estimated memory of the loaded model versions', registers });
  }

  /** One answered predict call: its latency and a 200 in the request counter. */
  ok(protocol: string, model: string, version: number, startedMs: number): void {
    const key = `${protocol}\u0000${model}\u0000${version}`;
    let c = this.okChildren.get(key);
    if (!c) {
      if (this.okChildren.size > 10_000) this.okChildren.clear();
      const labels = { protocol, model, version: String(version) };
      c = { latency: this.latency.labels(labels), requests: this.requests.labels({ ...labels, status: '200' }) };
      this.okChildren.set(key, c);
    }
    c.latency.observe((performance.now() - startedMs) / 1000);
    c.requests.inc();
  }
}
