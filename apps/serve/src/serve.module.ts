import { Module } from '@nestjs/common';
import { AuthModule } from '@trainyard/auth';
import { DeploymentRepository } from '@trainyard/db';
import { ModelCache } from './model-cache.service';
import { PredictController } from './predict.controller';
import { PredictService } from './predict.service';
import { ServeReadiness } from './serve-readiness';

/** Hosted predictions: TF Serving's REST format over deployed checkpoints. */
@Module({
  imports: [AuthModule],
  controllers: [PredictController],
  providers: [DeploymentRepository, ModelCache, PredictService, ServeReadiness],
})
export class ServeModule {}
