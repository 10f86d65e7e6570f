import { Module } from '@nestjs/common';
import { AuthModule } from '@trainyard/auth';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { CheckpointRepository, DeploymentRepository } from '@trainyard/db';
import { KeyCache } from './access/key-cache';
import { PredictKeyGuard } from './access/predict-key.guard';
import { DeploymentCache } from './inference/deployment-cache';
import { InferenceService } from './inference/inference.service';
import { defaultRuntimeLoader, ModelCache, RUNTIME_LOADER } from './inference/model-cache';
import { KServeController, KServeHealthController } from './protocols/kserve.controller';
import { ServeExceptionFilter } from './protocols/serve-exception.filter';
import { TfServingController } from './protocols/tf-serving.controller';
import { ServeMetrics } from './serve-metrics';
import { ServeReadiness } from './serve-readiness';
import { TfjsModelController } from './tfjs-model.controller';

/**
 * Hosted predictions: one protocol-neutral InferenceService (deployments cached, models loaded on
 * demand into an LRU, dynamic batching per version) under thin TF Serving REST and KServe v2
 * adapters; its metrics join the app's registry (GET /metrics). Stateless: everything comes from the database and the artifact store.
 */
@Module({
  imports: [AuthModule],
  controllers: [TfServingController, KServeHealthController, KServeController, TfjsModelController],
  providers: [
    DeploymentRepository,
    CheckpointRepository,
    ServeMetrics,
    KeyCache,
    PredictKeyGuard,
    ServeExceptionFilter,
    DeploymentCache,
    ModelCache,
    InferenceService,
    ServeReadiness,
    { provide: RUNTIME_LOADER, useFactory: (config: AppConfig) => defaultRuntimeLoader(config), inject: [APP_CONFIG] },
  ],
  exports: [InferenceService, DeploymentCache, ModelCache],
})
export class ServeModule {}
