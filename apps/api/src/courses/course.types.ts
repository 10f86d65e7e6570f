import { Field, Float, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { RoleName } from '../people/people.types';

@ObjectType({ description: 'A course: a team whose owner is the instructor and whose students join with a code.' })
export class Course {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => Int, { description: 'The most students in one group (1: everyone works alone).' }) groupSizeLimit: number;
  @Field(() => Date, { nullable: true, description: 'After this time (UTC) no one joins, leaves or forms a group.' }) rosterLockAt?: Date | null;
  @Field(() => Int, { nullable: true }) maxConcurrentRuns?: number | null;
  @Field(() => Int, { nullable: true }) computeBudgetSeconds?: number | null;
  @Field(() => Int, { description: "Fair share: the course's runs admitted to the training queue at once; the rest wait and are admitted round-robin across users." })
  dispatchSlots: number;
  @Field({ description: 'Fair share: take the slots from the workers alive now (their training slots, summed) instead of dispatchSlots.' })
  autoDispatchSlots: boolean;
  @Field(() => Int, { description: 'The slots admission fills now: dispatchSlots, or with autoDispatchSlots the live workers\' training slots (at least 1).' })
  effectiveDispatchSlots: number;
  @Field({ description: "Fair share: instructors' and assistants' runs are admitted before students'." }) staffRunsFirst: boolean;
}

@ObjectType({ description: "A new course and the instructor's key for it (shown once)." })
export class CreatedCourse {
  @Field(() => Course) course: Course;
  @Field() apiKey: string;
}

@ObjectType({ description: 'An invitation to a course. `code` is shown only when it is created: only its digest is stored.' })
export class JoinCode {
  @Field(() => ID) id: string;
  @Field({ description: 'The first characters of the code, to tell codes apart.' }) prefix: string;
  @Field(() => String, { nullable: true }) code?: string | null;
  @Field(() => String, { nullable: true, description: 'A link carrying the code (shown once, like the code): GET it to see the course, POST {"name"} to it to join.' })
  joinLink?: string | null;
  @Field(() => RoleName) role: RoleName;
  @Field({ description: 'UTC.' }) expiresAt: Date;
  @Field(() => Int) maxUses: number;
  @Field(() => Int) uses: number;
  @Field(() => Date, { nullable: true }) revokedAt?: Date | null;
}

@InputType()
export class CreateJoinCodeInput {
  @Field(() => Int, { description: 'Hours until the code expires (1 to 2160).', defaultValue: 168 }) expiresInHours: number;
  @Field(() => Int, { description: 'How many people may join with it (1 to 1000).', defaultValue: 50 }) maxUses: number;
  @Field(() => RoleName, { defaultValue: RoleName.STUDENT, description: 'STUDENT or ASSISTANT.' }) role: RoleName;
}

@ObjectType({ description: 'What joinCourse returns: your user and your key (shown once: keep it).' })
export class CourseMembership {
  @Field(() => ID) courseId: string;
  @Field() courseName: string;
  @Field(() => ID) userId: string;
  @Field(() => RoleName) role: RoleName;
  @Field() apiKey: string;
}

@ObjectType({ description: 'Compute budget and runs of a student (or their group).' })
export class ComputeUsage {
  @Field(() => Int, { nullable: true, description: 'Worker-seconds; null: unlimited.' }) budgetSeconds?: number | null;
  @Field(() => Float) usedSeconds: number;
  @Field(() => Float, { nullable: true }) remainingSeconds?: number | null;
  @Field(() => Int) runsInFlight: number;
  @Field(() => Int, { nullable: true }) maxConcurrentRuns?: number | null;
  @Field(() => Int, { description: 'Runs stopped at a checkpoint when the budget ran out.' }) pausedRuns: number;
  @Field() perGroup: boolean;
}

@InputType()
export class UpdateCourseInput {
  @Field(() => Int, { nullable: true, description: 'Training runs a student (or group) may have queued or running at once.' }) maxConcurrentRuns?: number;
  @Field(() => Int, { nullable: true, description: 'Worker-seconds of training per student (or group). Raising it resumes paused runs.' }) computeBudgetSeconds?: number;
  @Field(() => Int, { nullable: true }) groupSizeLimit?: number;
  @Field(() => Date, { nullable: true, description: 'UTC (ISO 8601 with a zone).' }) rosterLockAt?: Date;
  @Field(() => Int, { nullable: true, description: "Fair share: how many of the course's runs may be in the training queue at once (its share of the workers' training slots)." })
  dispatchSlots?: number;
  @Field({ nullable: true, description: 'Fair share: true takes the slots from the live workers (they follow the cluster as it scales); false uses dispatchSlots.' })
  autoDispatchSlots?: boolean;
  @Field({ nullable: true, description: "Fair share: admit instructors' and assistants' runs first." }) staffRunsFirst?: boolean;
}

@ObjectType()
export class StudentGroup {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => [ID]) memberIds: string[];
}
