import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, register } from 'prom-client';

function metric<T>(name: string, make: () => T): T {
  // One process may hold several Nest apps (tests): reuse what the registry already has.
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

/** Prometheus metrics of hosted predictions, per model and version (GET /metrics). */
@Injectable()
export class ServeMetrics {
  readonly requests = metric('trainyard_serve_requests_total', () => new Counter({ name: 'trainyard_serve_requests_total', help: 'Predict calls answered, by protocol, model, version and HTTP status', labelNames: ['protocol', 'model', 'version', 'status'] }));
  readonly errors = metric('trainyard_serve_errors_total', () => new Counter({ name: 'trainyard_serve_errors_total', help: 'Predict calls that failed, by error code', labelNames: ['protocol', 'model', 'version', 'code'] }));
  readonly latency = metric('trainyard_serve_request_duration_seconds', () => new Histogram({ name: 'trainyard_serve_request_duration_seconds', help: 'Predict call latency, seconds', labelNames: ['protocol', 'model', 'version'], buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] }));
  readonly batchSize = metric('trainyard_serve_batch_size', () => new Histogram({ name: 'trainyard_serve_batch_size', help: 'Samples per runtime call (dynamic batching)', labelNames: ['model', 'version'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] }));
  readonly queueDepth = metric('trainyard_serve_queue_depth', () => new Gauge({ name: 'trainyard_serve_queue_depth', help: 'Samples waiting for a batch', labelNames: ['model', 'version'] }));
  readonly coldStarts = metric('trainyard_serve_cold_starts_total', () => new Counter({ name: 'trainyard_serve_cold_starts_total', help: 'Model versions loaded on demand', labelNames: ['model', 'version', 'runtime'] }));
  readonly coldStartSeconds = metric('trainyard_serve_cold_start_seconds', () => new Histogram({ name: 'trainyard_serve_cold_start_seconds', help: 'Load plus warm-up time of a model version', labelNames: ['model', 'version', 'runtime'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] }));
  readonly loadedModels = metric('trainyard_serve_loaded_models', () => new Gauge({ name: 'trainyard_serve_loaded_models', help: 'Model versions in memory' }));
  readonly loadedBytes = metric('trainyard_serve_loaded_model_bytes', () => new Gauge({ name: 'trainyard_serve_loaded_model_bytes', help: 'Estimated memory of the loaded model versions' }));

  text(): Promise<string> {
    return register.metrics();
  }

  get contentType(): string {
    return register.contentType;
  }
}
