import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum MetricDirectionName {
  MAXIMIZE = 'MAXIMIZE',
  MINIMIZE = 'MINIMIZE',
}
registerEnumType(MetricDirectionName, { name: 'MetricDirection' });

export enum SubmissionStatusName {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SCORED = 'SCORED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(SubmissionStatusName, { name: 'SubmissionStatus', description: 'FAILED and CANCELLED submissions do not count against quotas.' });

@InputType()
export class CreateAssignmentInput {
  @Field() name: string;
  @Field(() => ID, { description: "A READY dataset of the course; its test split becomes the hidden split: students never see its labels." }) datasetId: string;
  @Field({ defaultValue: 'accuracy', description: 'accuracy or macro_f1' }) primaryMetric: string;
  @Field(() => MetricDirectionName, { defaultValue: MetricDirectionName.MAXIMIZE }) direction: MetricDirectionName;
  @Field(() => [String], { nullable: true, description: 'Model names students may submit (the zoo); empty or absent: any.' }) allowedModels?: string[];
  @Field(() => Int, { nullable: true }) maxEpochs?: number;
  @Field(() => Int, { nullable: true, description: 'Most trainable parameters a submitted model may have.' }) maxParams?: number;
  @Field({ description: 'ISO 8601 with a zone; stored in UTC.' }) opensAt: Date;
  @Field() deadline: Date;
  @Field(() => Int, { defaultValue: 0, description: 'Seconds after the deadline during which late submissions are taken.' }) lateWindowSeconds: number;
  @Field(() => Float, { defaultValue: 0, description: "Fraction (0..1) taken off a late submission's score in the grades." }) latePenalty: number;
  @Field(() => Float, { defaultValue: 0.3, description: 'Share of the hidden split on the public leaderboard.' }) publicFraction: number;
  @Field(() => Int, { nullable: true, description: 'Seeds the public/private partition (random when absent).' }) splitSeed?: number;
  @Field({ description: 'When the private leaderboard is revealed to students.' }) privateRevealAt: Date;
  @Field(() => Int, { defaultValue: 2 }) maxFinalPicks: number;
  @Field(() => Int, { defaultValue: 4, description: 'Digits of scores shown to students.' }) scoreDigits: number;
  @Field({ defaultValue: false, description: 'Ladder mode (Blum & Hardt 2015).' }) ladder: boolean;
  @Field(() => Float, { defaultValue: 0.01 }) ladderMargin: number;
  @Field(() => Int, { nullable: true, description: 'Submissions per UTC day (per group when in groups).' }) dailyLimit?: number;
  @Field(() => Int, { nullable: true }) totalLimit?: number;
  @Field(() => Int, { nullable: true, description: 'Submissions being scored at once.' }) concurrentLimit?: number;
  @Field({ defaultValue: 'UTC', description: 'IANA time zone (e.g. Europe/Berlin) the times are shown in; the daily limit resets at midnight there. Times are stored in UTC.' })
  timeZone: string;
}

@ObjectType()
export class Quota {
  @Field(() => Int, { nullable: true }) dailyLimit?: number | null;
  @Field(() => Int) usedToday: number;
  @Field(() => Int, { nullable: true }) remainingToday?: number | null;
  @Field({ description: "When the daily count resets: midnight in the assignment's time zone (UTC instant)." }) resetsAt: Date;
  @Field({ description: "resetsAt in the assignment's time zone (ISO 8601 with its offset)." }) resetsAtLocal: string;
  @Field() timeZone: string;
  @Field(() => Int, { nullable: true }) totalLimit?: number | null;
  @Field(() => Int) usedTotal: number;
  @Field(() => Int, { nullable: true }) remainingTotal?: number | null;
  @Field(() => Int, { nullable: true }) concurrentLimit?: number | null;
  @Field(() => Int) inFlight: number;
  @Field({ description: 'Whether these counts are shared by a group.' }) perGroup: boolean;
}

@ObjectType()
export class Assignment {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => ID) datasetId: string;
  @Field() primaryMetric: string;
  @Field(() => MetricDirectionName) direction: MetricDirectionName;
  @Field(() => [String]) allowedModels: string[];
  @Field(() => Int, { nullable: true }) maxEpochs?: number | null;
  @Field(() => Int, { nullable: true }) maxParams?: number | null;
  @Field({ description: 'UTC.' }) opensAt: Date;
  @Field({ description: 'UTC.' }) deadline: Date;
  @Field({ description: 'Your deadline (UTC): the deadline, or your extension.' }) yourDeadline: Date;
  @Field(() => Int) lateWindowSeconds: number;
  @Field(() => Float) latePenalty: number;
  @Field(() => Float) publicFraction: number;
  @Field({ description: 'UTC.' }) privateRevealAt: Date;
  @Field() privateRevealed: boolean;
  @Field(() => Int) maxFinalPicks: number;
  @Field(() => Int) scoreDigits: number;
  @Field() ladder: boolean;
  @Field(() => Float) ladderMargin: number;
  @Field(() => Int, { nullable: true }) dailyLimit?: number | null;
  @Field(() => Int, { nullable: true }) totalLimit?: number | null;
  @Field(() => Int, { nullable: true }) concurrentLimit?: number | null;
  @Field({ description: 'The IANA time zone the *Local fields are in. Times are stored in UTC; the DateTime fields are UTC (ISO 8601, Z).' }) timeZone: string;
  @Field({ description: 'opensAt in timeZone (ISO 8601 with offset).' }) opensAtLocal: string;
  @Field({ description: 'deadline in timeZone (ISO 8601 with offset).' }) deadlineLocal: string;
  @Field({ description: 'yourDeadline in timeZone (ISO 8601 with offset).' }) yourDeadlineLocal: string;
  @Field({ description: 'The end of your late window in timeZone (ISO 8601 with offset).' }) lateUntilLocal: string;
  @Field({ description: 'privateRevealAt in timeZone (ISO 8601 with offset).' }) privateRevealAtLocal: string;
}

@ObjectType({ description: 'A checkpoint handed in for scoring on the hidden split. Scores are aggregates; nothing per sample.' })
export class Submission {
  @Field(() => ID) id: string;
  @Field(() => ID) assignmentId: string;
  @Field(() => ID) userId: string;
  @Field(() => ID, { nullable: true }) groupId?: string | null;
  @Field(() => ID) checkpointId: string;
  @Field(() => ID) experimentId: string;
  @Field(() => SubmissionStatusName) status: SubmissionStatusName;
  @Field(() => String, { nullable: true }) failureReason?: string | null;
  @Field() late: boolean;
  @Field({ description: 'Picked for the private leaderboard.' }) final: boolean;
  @Field(() => Float, { nullable: true, description: 'The public score as shown (rounded; under Ladder, only significant improvements).' }) publicScore?: number | null;
  @Field(() => Float, { nullable: true, description: 'Hidden from students until the private leaderboard is revealed.' }) privateScore?: number | null;
  @Field() createdAt: Date;
  @Field({ description: "createdAt in the assignment's time zone (ISO 8601 with offset)." }) createdAtLocal: string;
  @Field(() => Date, { nullable: true }) scoredAt?: Date | null;
}

@ObjectType()
export class LeaderboardRow {
  @Field(() => Int, { nullable: true, description: 'null: nothing scored yet (sorted last).' }) rank?: number | null;
  @Field({ description: 'A student, or a group.' }) name: string;
  @Field(() => [ID]) userIds: string[];
  @Field(() => ID, { nullable: true }) groupId?: string | null;
  @Field(() => Float, { nullable: true }) score?: number | null;
  @Field(() => Int) submissions: number;
  @Field(() => Date, { nullable: true, description: 'When the deciding submission was made (ties: earlier first).' }) submittedAt?: Date | null;
}

@ObjectType()
export class Leaderboard {
  @Field() private: boolean;
  @Field() metric: string;
  @Field(() => MetricDirectionName) direction: MetricDirectionName;
  @Field(() => [LeaderboardRow]) rows: LeaderboardRow[];
}

@ObjectType()
export class ScoreAudit {
  @Field(() => ID) submissionId: string;
  @Field(() => ID, { nullable: true }) actorUserId?: string | null;
  @Field() reason: string;
  @Field(() => Float, { nullable: true }) oldPublic?: number | null;
  @Field(() => Float, { nullable: true }) oldPrivate?: number | null;
  @Field(() => Float, { nullable: true }) newPublic?: number | null;
  @Field(() => Float, { nullable: true }) newPrivate?: number | null;
  @Field() at: Date;
}
