import { Field, Float, ID, InputType, Int, registerEnumType } from '@nestjs/graphql';
import { ExperimentStatus } from '../graphql/types';
import { LOSS_NAMES, MODEL_NAMES, MONITORS, OPTIMIZER_NAMES, SCHEDULE_NAMES } from '@trainyard/engine/spec';
import GraphQLJSON from 'graphql-type-json';

export enum MapOp {
  Resize = 'Resize',
  Rescale = 'Rescale',
  Normalize = 'Normalize',
  HWC2CHW = 'HWC2CHW',
  TypeCast = 'TypeCast',
  Grayscale = 'Grayscale',
  CenterCrop = 'CenterCrop',
  RandomCrop = 'RandomCrop',
  RandomHorizontalFlip = 'RandomHorizontalFlip',
  RandomRotation = 'RandomRotation',
}
registerEnumType(MapOp, { name: 'MapOp', description: "Per-sample transforms, MindSpore's names." });

@InputType({
  description:
    'One map transform: Resize(size), Rescale(rescale, shift), Normalize(mean, std, or fromDataset), HWC2CHW, TypeCast(dtype), Grayscale, CenterCrop(size), RandomCrop(size, padding), RandomHorizontalFlip(p), RandomRotation(degrees). Random ops run in training only.',
})
export class MapOpInput {
  @Field(() => MapOp) op: MapOp;
  @Field(() => [Int], { nullable: true, description: 'Resize, CenterCrop, RandomCrop: [height, width]' }) size?: number[];
  @Field(() => [Float], { nullable: true, description: 'Normalize: per-channel mean' }) mean?: number[] | 'dataset';
  @Field(() => [Float], { nullable: true, description: 'Normalize: per-channel std' }) std?: number[] | 'dataset';
  @Field({ nullable: true, description: "Normalize: use the dataset's own per-channel mean and std" }) fromDataset?: boolean;
  @Field(() => Int, { nullable: true, description: 'RandomCrop: zero padding on every side' }) padding?: number;
  @Field(() => Float, { nullable: true, description: 'RandomHorizontalFlip: probability' }) p?: number;
  @Field(() => Float, { nullable: true, description: 'RandomRotation: maximum angle' }) degrees?: number;
  @Field(() => Float, { nullable: true, description: 'Rescale: x * rescale + shift' }) rescale?: number;
  @Field(() => Float, { nullable: true }) shift?: number;
  @Field({ nullable: true, description: 'TypeCast: float32 or int32' }) dtype?: string;
}

@InputType({ description: 'Defaults are the LeNet-5 walkthrough: Resize 32x32, Rescale(1/(255*0.3081), -0.1307/0.3081), TypeCast float32, shuffle 10000, batch 32 drop_remainder.' })
export class PipelineInput {
  @Field(() => [MapOpInput], { nullable: true }) map?: MapOpInput[];
  @Field(() => Int, { nullable: true, description: 'shuffle(buffer_size); 0 turns shuffling off' }) shuffleBufferSize?: number;
  @Field(() => Int, { nullable: true }) batchSize?: number;
  @Field({ nullable: true }) dropRemainder?: boolean;
  @Field(() => Int, { nullable: true, description: 'repeat(count): passes over the data per epoch' }) repeat?: number;
}

@InputType()
export class ModelInput {
  @Field({ description: `One of ${MODEL_NAMES.join(', ')}` }) name: string;
  @Field(() => Int, { nullable: true, description: "Defaults to the dataset's class count." }) numClasses?: number;
  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      'Model parameters. mlp: {hidden: [512, 256], activation, dropout}; cnn: {blocks: [{filters, convs, kernelSize, batchNorm, pool, dropout}], dense: [512], dropout}; resnet: {depth: 20|32|56}; alexnet: {dropout, denseUnits}; custom: {topology: <Keras/tfjs model.toJSON() object or its JSON text>}.',
  })
  params?: Record<string, unknown>;
}

@InputType()
export class LossInput {
  @Field({ description: `One of ${LOSS_NAMES.join(', ')}` }) name: string;
  @Field({ nullable: true, description: 'SoftmaxCrossEntropyWithLogits: integer labels (true, default) or one-hot (false).' }) sparse?: boolean;
  @Field(() => Float, { nullable: true, description: 'Cross-entropy losses: label smoothing in [0, 1).' }) labelSmoothing?: number;
  @Field({ nullable: true, description: 'mean (default) or sum over the batch.' }) reduction?: string;
  @Field({ nullable: true, description: "SigmoidBinaryCrossEntropy, MSE, L1, Huber on class labels: compare with each label's one-hot row (required for class labels)." }) oneHot?: boolean;
  @Field(() => Float, { nullable: true, description: 'Huber: delta (default 1).' }) delta?: number;
}

@InputType()
export class OptimizerInput {
  @Field({ description: `One of ${OPTIMIZER_NAMES.join(', ')}` }) name: string;
  @Field(() => Float) learningRate: number;
  @Field(() => Float, { nullable: true, description: 'Momentum, RMSProp' }) momentum?: number;
  @Field({ nullable: true, description: 'Momentum' }) useNesterov?: boolean;
  @Field(() => Float, { nullable: true, description: 'AdamW / AdamWeightDecay: decoupled weight decay' }) weightDecay?: number;
  @Field(() => Float, { nullable: true }) beta1?: number;
  @Field(() => Float, { nullable: true }) beta2?: number;
  @Field(() => Float, { nullable: true }) epsilon?: number;
  @Field(() => Float, { nullable: true, description: 'RMSProp decay' }) decay?: number;
  @Field(() => Float, { nullable: true, description: 'RMSProp decay (Keras name), Adadelta rho' }) rho?: number;
  @Field({ nullable: true, description: 'RMSProp' }) centered?: boolean;
  @Field(() => Float, { nullable: true, description: 'Adagrad' }) initialAccumulatorValue?: number;
}

@InputType({ description: `Learning-rate schedule (${SCHEDULE_NAMES.join(', ')}), each with an optional linear warm-up; counted in steps.` })
export class ScheduleInput {
  @Field() name: string;
  @Field(() => Int, { nullable: true }) warmupSteps?: number;
  @Field(() => Int, { nullable: true, description: 'step: decay every stepSize steps' }) stepSize?: number;
  @Field(() => Float, { nullable: true, description: 'step, exponential: decay factor in (0, 1]' }) gamma?: number;
  @Field(() => Int, { nullable: true, description: 'exponential: gamma per decaySteps; cosine: horizon (default the rest of the run)' }) decaySteps?: number;
  @Field(() => Float, { nullable: true, description: 'cosine: final learning rate' }) minLearningRate?: number;
}

@InputType({ description: `EarlyStopping: stop when monitor (${MONITORS.join(', ')}) has not improved by more than minDelta for patience epochs.` })
export class EarlyStoppingInput {
  @Field({ nullable: true }) monitor?: string;
  @Field(() => Int, { nullable: true }) patience?: number;
  @Field(() => Float, { nullable: true }) minDelta?: number;
}

@InputType()
export class KeepBestInput {
  @Field({ nullable: true, description: `Metric to rank checkpoints by (${MONITORS.join(', ')}; default val_accuracy).` }) monitor?: string;
}

@InputType({ description: 'ModelCheckpoint: save every N steps (and optionally every epoch), keep at most K (older ones are deleted), plus the best by a metric.' })
export class CheckpointConfigInput {
  @Field(() => Int) saveCheckpointSteps: number;
  @Field(() => Int) keepCheckpointMax: number;
  @Field({ nullable: true }) everyEpoch?: boolean;
  @Field(() => KeepBestInput, { nullable: true }) keepBest?: KeepBestInput;
}

@InputType()
export class SubmitExperimentInput {
  @Field() name: string;
  @Field(() => ID) datasetId: string;
  @Field(() => ID, { nullable: true, description: "The exact dataset version; default the dataset's newest READY version." }) datasetVersionId?: string;
  @Field({ nullable: true, description: 'Retrying a submit with the same key returns the first experiment.' }) idempotencyKey?: string;
  @Field(() => ModelInput) model: ModelInput;
  @Field(() => PipelineInput, { nullable: true }) pipeline?: PipelineInput;
  @Field(() => LossInput, { nullable: true }) loss?: LossInput;
  @Field(() => OptimizerInput) optimizer: OptimizerInput;
  @Field(() => Int) epochs: number;
  @Field(() => CheckpointConfigInput, { nullable: true }) checkpoint?: CheckpointConfigInput;
  @Field(() => Int, { nullable: true, description: 'LossMonitor: record the loss every N steps (default 10).' }) perPrintTimes?: number;
  @Field(() => Int, { nullable: true, description: 'Seeds weight init and shuffling (default 1).' }) seed?: number;
  @Field(() => ScheduleInput, { nullable: true }) schedule?: ScheduleInput;
  @Field(() => Float, { nullable: true, description: 'L2 weight decay: l2/2·Σw² over kernels added to the loss.' }) l2?: number;
  @Field(() => Float, { nullable: true, description: 'Clip gradients by this global norm.' }) clipGlobalNorm?: number;
  @Field(() => EarlyStoppingInput, { nullable: true }) earlyStopping?: EarlyStoppingInput;
  @Field(() => Int, { nullable: true, description: 'End the run (checkpointed and evaluated) after this many seconds.' }) timeBudgetSeconds?: number;
  @Field(() => Int, { nullable: true, description: 'k of the top-k accuracy (default min(5, classes)).' }) topK?: number;
}

@InputType({ description: 'Experiments matching every field given.' })
export class ExperimentFilter {
  @Field(() => [ExperimentStatus], { nullable: true, description: 'Any of these statuses.' }) status?: ExperimentStatus[];
  @Field(() => ID, { nullable: true }) datasetId?: string;
  @Field(() => ID, { nullable: true, description: 'Trials of this sweep.' }) sweepId?: string;
  @Field(() => ID, { nullable: true, description: 'Submitted by this user.' }) userId?: string;
  @Field({ nullable: true, description: 'Names starting with this (case-sensitive).' }) namePrefix?: string;
}
