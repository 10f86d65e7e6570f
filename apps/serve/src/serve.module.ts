import { Module } from '@nestjs/common';
import { AuthModule } from '@trainyard/auth';
import { CheckpointRepository, DeploymentRepository } from '@trainyard/db';
import { ModelCache } from './model-cache.service';
import { PredictController } from './predict.controller';
import { PredictService } from './predict.service';
import { ServeReadiness } from './serve-readiness';
import { TfjsModelController } from './tfjs-model.controller';

/** Hosted predictions: TF Serving's REST format over deployed checkpoints. */
@Module({
  imports: [AuthModule],
  controllers: [PredictController, TfjsModelController],
  providers: [DeploymentRepository, CheckpointRepository, ModelCache, PredictService, ServeReadiness],
})
export class ServeModule {}
