import { Inject, Injectable, Logger } from '@nestjs/common';
import { trainPayload } from '@trainyard/common';
import { PrismaService } from '@trainyard/db';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';

/**
 * Fair-share dispatch for courses: admission in Postgres, so it works the same with BullMQ and the
 * in-process queue, and with any number of API and worker processes.
 *
 * A course's runs do not go to the training queue when they are submitted. They wait as QUEUED rows
 * with `admittedAt` null, and at most `Team.dispatchSlots` of a course's runs are admitted (in the
 * queue, waiting or running) at once. Whenever a slot may have freed (a submit, a run that ends or
 * pauses, a cancel, a resume, and every reconcile pass) `admit(teamId)` fills the free slots, one
 * run at a time: the next run belongs to the user, or the student group, whose last admission is
 * the oldest (never: first), ties broken by the older run. A group is one party, as it shares its
 * quota: three students working together get the share of one, not three. With `staffRunsFirst`,
 * instructors' and assistants' runs come before any student's. Each party's own runs go in
 * submission order. The pass holds a per-course advisory lock, so two processes cannot fill the
 * same slot.
 *
 * Slots: `dispatchSlots` as the instructor sets it (its share of WORKER_CONCURRENCY x workers), or
 * with `autoDispatchSlots` the training slots of the workers alive now (WorkerHeartbeats), so the
 * course follows the cluster as workers come and go. With more slots than free workers, admitted runs
 * wait in the queue in FIFO order, so the round robin holds across admissions, not within the queue.
 */
@Injectable()
export class CourseDispatcher {
  private readonly logger = new Logger('CourseDispatch');

  constructor(
    private readonly prisma: PrismaService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  /** Whether runs of this team go through admission (courses only). */
  async governs(teamId: string): Promise<boolean> {
    const t = await this.prisma.team.findUnique({ where: { id: teamId }, select: { kind: true } });
    return t?.kind === 'COURSE';
  }

  /**
   * Admits waiting runs of a course into its free slots and queues their train jobs. Returns the
   * ids admitted, in order. A job lost between the commit and the enqueue is queued again by the
   * reconciler (the row is admitted and QUEUED).
   */
  async admit(teamId: string): Promise<string[]> {
    const admitted = await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`dispatch:${teamId}`}))`;
      const team = await tx.team.findUnique({ where: { id: teamId }, select: { kind: true, dispatchSlots: true, autoDispatchSlots: true, staffRunsFirst: true } });
      if (team?.kind !== 'COURSE') return [];
      const slots = await slotsOf(tx, team);
      const [{ n }] = await tx.$queryRaw<Array<{ n: number }>>`
        SELECT count(*)::int AS n FROM "Experiment"
         WHERE "teamId" = ${teamId}::uuid AND status IN ('QUEUED', 'RUNNING') AND "admittedAt" IS NOT NULL`;
      const out: Array<{ id: string; attempt: number }> = [];
      for (let free = slots - n; free > 0; free--) {
        // A group's last admission: the latest of its members' (max ignores members never admitted).
        const next = await tx.$queryRaw<Array<{ id: string; attempt: number; userId: string | null }>>`
          SELECT e.id, e.attempt, e."userId"
            FROM "Experiment" e
            LEFT JOIN "Membership" m ON m."teamId" = e."teamId" AND m."userId" = e."userId"
            LEFT JOIN LATERAL (
                 SELECT max(g."lastDispatchedAt") AS last FROM "Membership" g
                  WHERE g."teamId" = e."teamId" AND g."groupId" = m."groupId") grp ON m."groupId" IS NOT NULL
           WHERE e."teamId" = ${teamId}::uuid AND e.status = 'QUEUED' AND e."admittedAt" IS NULL
           ORDER BY (${team.staffRunsFirst} AND m.role::text IN ('OWNER', 'ADMIN', 'INSTRUCTOR', 'ASSISTANT')) DESC,
                    CASE WHEN m."groupId" IS NULL THEN m."lastDispatchedAt" ELSE grp.last END ASC NULLS FIRST,
                    e."createdAt" ASC, e.id ASC
           LIMIT 1`;
        if (next.length === 0) break;
        const e = next[0];
        // clock_timestamp(), not now(): each admission in this transaction gets a later time.
        await tx.$executeRaw`UPDATE "Experiment" SET "admittedAt" = clock_timestamp() WHERE id = ${e.id}::uuid`;
        if (e.userId) await tx.$executeRaw`UPDATE "Membership" SET "lastDispatchedAt" = clock_timestamp() WHERE "teamId" = ${teamId}::uuid AND "userId" = ${e.userId}::uuid`;
        out.push({ id: e.id, attempt: e.attempt });
      }
      return out;
    });
    for (const e of admitted) await this.queue.enqueue('train', trainPayload(e));
    if (admitted.length) this.logger.log(`course ${teamId}: admitted ${admitted.length} run(s) to the training queue`);
    return admitted.map((e) => e.id);
  }

  /** Queues a run now (teams), or leaves it to its course's admission and runs a pass. */
  async dispatch(e: { id: string; teamId: string; attempt: number }): Promise<void> {
    if (await this.governs(e.teamId)) await this.admit(e.teamId);
    else await this.queue.enqueue('train', trainPayload(e));
  }

  /** A run that goes back to waiting (paused runs resumed, failed ones reopened) waits for its turn again. */
  async requeue(experimentId: string): Promise<void> {
    await this.prisma.experiment.update({ where: { id: experimentId }, data: { admittedAt: null } });
  }

  /** The slots admit() fills for a course now: its dispatchSlots, or the live workers' training slots. */
  effectiveSlots(team: { dispatchSlots: number; autoDispatchSlots: boolean }): Promise<number> {
    return slotsOf(this.prisma, team);
  }

  /** Every course with runs waiting for admission: one pass each (the reconciler's safety net). */
  async admitAll(): Promise<number> {
    const rows = await this.prisma.$queryRaw<Array<{ teamId: string }>>`
      SELECT DISTINCT e."teamId" FROM "Experiment" e JOIN "Team" t ON t.id = e."teamId"
       WHERE t.kind = 'COURSE' AND e.status = 'QUEUED' AND e."admittedAt" IS NULL`;
    let n = 0;
    for (const { teamId } of rows) n += (await this.admit(teamId)).length;
    return n;
  }
}

/** A course's slots: its dispatchSlots, or with autoDispatchSlots the live workers' training slots. */
function slotsOf(db: Pick<PrismaService, '$executeRaw' | '$queryRaw'>, team: { dispatchSlots: number; autoDispatchSlots: boolean }): Promise<number> {
  return team.autoDispatchSlots ? new WorkerHeartbeats(db).liveTrainingSlots() : Promise.resolve(team.dispatchSlots);
}

/** A worker that has not reported for this long is taken for gone. */
export const HEARTBEAT_STALE_MS = 30_000;

/**
 * Workers that take training jobs, as they report themselves (WorkerHeartbeat rows): the live total
 * of their training slots is what courses with autoDispatchSlots admit up to.
 */
export class WorkerHeartbeats {
  constructor(private readonly db: Pick<PrismaService, '$executeRaw' | '$queryRaw'>) {}

  async beat(id: string, trainingSlots: number): Promise<void> {
    await this.db.$executeRaw`
      INSERT INTO "WorkerHeartbeat" (id, "trainingSlots", "seenAt") VALUES (${id}, ${trainingSlots}, now())
      ON CONFLICT (id) DO UPDATE SET "trainingSlots" = EXCLUDED."trainingSlots", "seenAt" = now()`;
    // Dead workers' rows go with the next beat of any worker (nothing else reads them).
    await this.db.$executeRaw`DELETE FROM "WorkerHeartbeat" WHERE "seenAt" < now() - make_interval(secs => ${(10 * HEARTBEAT_STALE_MS) / 1000})`;
  }

  async forget(id: string): Promise<void> {
    await this.db.$executeRaw`DELETE FROM "WorkerHeartbeat" WHERE id = ${id}`;
  }

  /** Training slots of the workers seen in the last HEARTBEAT_STALE_MS; at least 1, so a course never stalls for good. */
  async liveTrainingSlots(): Promise<number> {
    const [{ n }] = await this.db.$queryRaw<Array<{ n: number }>>`
      SELECT COALESCE(sum("trainingSlots"), 0)::int AS n FROM "WorkerHeartbeat"
       WHERE "seenAt" > now() - make_interval(secs => ${HEARTBEAT_STALE_MS / 1000})`;
    return Math.max(1, n);
  }
}
