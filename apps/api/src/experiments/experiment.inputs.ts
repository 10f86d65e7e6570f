import { Field, Float, ID, InputType, Int, registerEnumType } from '@nestjs/graphql';

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
  @Field({ description: 'lenet5 or cnn' }) name: string;
  @Field(() => Int, { nullable: true, description: "Defaults to the dataset's class count." }) numClasses?: number;
}

@InputType()
export class LossInput {
  @Field({ defaultValue: 'SoftmaxCrossEntropyWithLogits' }) name: string;
  @Field({ defaultValue: true, description: 'Integer labels (true) or one-hot (false).' }) sparse: boolean;
}

@InputType()
export class OptimizerInput {
  @Field({ description: 'SGD, Momentum, RMSProp, Adam or AdamWeightDecay' }) name: string;
  @Field(() => Float) learningRate: number;
  @Field(() => Float, { nullable: true }) momentum?: number;
  @Field({ nullable: true }) useNesterov?: boolean;
  @Field(() => Float, { nullable: true }) weightDecay?: number;
  @Field(() => Float, { nullable: true }) beta1?: number;
  @Field(() => Float, { nullable: true }) beta2?: number;
  @Field(() => Float, { nullable: true }) epsilon?: number;
  @Field(() => Float, { nullable: true, description: 'RMSProp decay' }) rho?: number;
}

@InputType({ description: 'ModelCheckpoint: save every N steps, keep at most K (older ones are deleted).' })
export class CheckpointConfigInput {
  @Field(() => Int) saveCheckpointSteps: number;
  @Field(() => Int) keepCheckpointMax: number;
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
}
