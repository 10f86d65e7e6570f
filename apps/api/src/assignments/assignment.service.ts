import { randomInt } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Principal, VisibilityService } from '@trainyard/auth';
import {
  badInput,
  bestOf,
  ErrorCode,
  ExperimentSpec,
  forbidden,
  MODEL_NAMES,
  notFound,
  PRIMARY_METRICS,
  rankEntries,
  roundScore,
  TrainyardError,
  canonicalTimeZone,
  formatInZone,
  zonedDay,
} from '@trainyard/common';
import { CheckpointRepository, DatasetRepository, DatasetVersionRepository, ExperimentRepository, PrismaService } from '@trainyard/db';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';
import { CreateAssignmentInput } from './assignment.types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COUNTED = ['QUEUED', 'RUNNING', 'SCORED'] as const;
const quotaExceeded = (message: string, details: Record<string, unknown>) => new TrainyardError(ErrorCode.QUOTA_EXCEEDED, message, details);

/** A time in messages: in the assignment's zone, with its offset and name. */
const shownAt = (a: { timeZone: string }, d: Date) => `${formatInZone(d, a.timeZone)}${a.timeZone === 'UTC' ? '' : ` (${a.timeZone})`}`;

type AssignmentRow = Awaited<ReturnType<AssignmentService['get']>>;
type SubmissionRow = Awaited<ReturnType<PrismaService['submission']['findMany']>>[number];

/**
 * Assignments and their rules: dates (opens, deadline, late window, extensions; UTC), what may be
 * submitted (one's own checkpoint, allowed models and limits, a fitting shape), quotas (per user, or
 * per group), scoring on the hidden split by the worker, leaderboards, re-scores and grades.
 */
@Injectable()
export class AssignmentService {
  private readonly logger = new Logger('Assignments');

  constructor(
    private readonly prisma: PrismaService,
    private readonly datasets: DatasetRepository,
    private readonly versions: DatasetVersionRepository,
    private readonly experiments: ExperimentRepository,
    private readonly checkpoints: CheckpointRepository,
    private readonly visibility: VisibilityService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  async create(p: Principal, i: CreateAssignmentInput) {
    if (p.team.kind !== 'COURSE') throw badInput('assignments belong to courses: use a course key');
    if (!/^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,99}$/.test(i.name)) throw badInput(`assignment name "${i.name.slice(0, 40)}" must be 1-100 letters, digits, spaces, _ . : -`, { field: 'name' });
    const dataset = await this.datasets.get(p.team.id, i.datasetId);
    const version = await this.versions.current(dataset.id);
    if (!version) throw new TrainyardError(ErrorCode.CONFLICT, `dataset ${dataset.id} has no READY version: upload and ingest its data first`);
    if (!version.testCount || version.testCount < 2) throw badInput(`version ${version.version} of the dataset has ${version.testCount ?? 0} test samples; the hidden split needs at least 2 (a public and a private part)`);
    if (!(i.primaryMetric in PRIMARY_METRICS)) throw badInput(`primaryMetric "${i.primaryMetric.slice(0, 30)}" is not one of ${Object.keys(PRIMARY_METRICS).join(', ')}`, { field: 'primaryMetric' });
    const unknown = (i.allowedModels ?? []).filter((m) => !(MODEL_NAMES as readonly string[]).includes(m));
    if (unknown.length) throw badInput(`allowedModels: unknown model "${unknown[0].slice(0, 30)}"; the zoo has ${MODEL_NAMES.join(', ')}`, { field: 'allowedModels' });
    if (!(i.opensAt < i.deadline)) throw badInput('opensAt must be before deadline', { field: 'deadline' });
    if (!(i.publicFraction > 0 && i.publicFraction < 1)) throw badInput(`publicFraction must be between 0 and 1 (exclusive), got ${i.publicFraction}`, { field: 'publicFraction' });
    if (!(i.latePenalty >= 0 && i.latePenalty <= 1)) throw badInput(`latePenalty must be 0 to 1, got ${i.latePenalty}`, { field: 'latePenalty' });
    for (const [k, v] of Object.entries({ lateWindowSeconds: i.lateWindowSeconds, maxFinalPicks: i.maxFinalPicks, dailyLimit: i.dailyLimit, totalLimit: i.totalLimit, concurrentLimit: i.concurrentLimit, maxEpochs: i.maxEpochs, maxParams: i.maxParams })) {
      if (v !== undefined && v !== null && (!Number.isInteger(v) || v < (k === 'lateWindowSeconds' ? 0 : 1))) throw badInput(`${k} must be a ${k === 'lateWindowSeconds' ? 'non-negative' : 'positive'} integer, got ${v}`, { field: k });
    }
    if (!(i.scoreDigits >= 0 && i.scoreDigits <= 8)) throw badInput('scoreDigits must be 0 to 8', { field: 'scoreDigits' });
    const timeZone = canonicalTimeZone(i.timeZone ?? 'UTC');
    if (!timeZone) throw badInput(`timeZone "${String(i.timeZone).slice(0, 40)}" is not an IANA time zone name (e.g. Europe/Berlin, America/New_York, UTC)`, { field: 'timeZone' });
    const row = await this.prisma.assignment.create({
      data: {
        teamId: p.team.id,
        name: i.name,
        datasetId: dataset.id,
        datasetVersionId: version.id,
        primaryMetric: i.primaryMetric,
        direction: i.direction,
        allowedModels: i.allowedModels ?? [],
        maxEpochs: i.maxEpochs ?? null,
        maxParams: i.maxParams ?? null,
        opensAt: i.opensAt,
        deadline: i.deadline,
        lateWindowSeconds: i.lateWindowSeconds,
        latePenalty: i.latePenalty,
        publicFraction: i.publicFraction,
        splitSeed: i.splitSeed ?? randomInt(1, 2 ** 31 - 1),
        privateRevealAt: i.privateRevealAt,
        maxFinalPicks: i.maxFinalPicks,
        scoreDigits: i.scoreDigits,
        ladder: i.ladder,
        ladderMargin: i.ladderMargin,
        dailyLimit: i.dailyLimit ?? null,
        totalLimit: i.totalLimit ?? null,
        concurrentLimit: i.concurrentLimit ?? null,
        timeZone,
      },
    });
    this.logger.log(`assignment ${row.id} "${row.name}" on dataset ${dataset.id} version ${version.version} (hidden split: ${version.testCount} samples, ${Math.round(row.publicFraction * 100)}% public)`);
    return row;
  }

  list(p: Principal) {
    return this.prisma.assignment.findMany({ where: { teamId: p.team.id }, orderBy: { deadline: 'asc' } });
  }

  async get(p: Principal, id: string) {
    const a = UUID.test(id) ? await this.prisma.assignment.findFirst({ where: { id, teamId: p.team.id } }) : null;
    if (!a) throw notFound('assignment', id);
    return a;
  }

  /** The caller's deadline: the assignment's, or their extension. */
  async deadlineFor(a: AssignmentRow, userId: string): Promise<Date> {
    const ext = await this.prisma.extension.findUnique({ where: { assignmentId_userId: { assignmentId: a.id, userId } } });
    return ext && ext.deadline > a.deadline ? ext.deadline : a.deadline;
  }

  private async groupOf(p: Principal): Promise<string | null> {
    const m = await this.prisma.membership.findUnique({ where: { teamId_userId: { teamId: p.team.id, userId: p.user.id } }, select: { groupId: true } });
    return m?.groupId ?? null;
  }

  /** Whose submissions count together: the group's when the student is in one. */
  private submitterWhere(userId: string, groupId: string | null) {
    return groupId ? { groupId } : { userId, groupId: null };
  }

  async quota(p: Principal, a: AssignmentRow, now = new Date()) {
    const groupId = await this.groupOf(p);
    const who = { assignmentId: a.id, ...this.submitterWhere(p.user.id, groupId) };
    const { start, resetsAt } = zonedDay(now, a.timeZone);
    const [usedTotal, usedToday, inFlight] = await Promise.all([
      this.prisma.submission.count({ where: { ...who, status: { in: [...COUNTED] } } }),
      this.prisma.submission.count({ where: { ...who, status: { in: [...COUNTED] }, createdAt: { gte: start } } }),
      this.prisma.submission.count({ where: { ...who, status: { in: ['QUEUED', 'RUNNING'] } } }),
    ]);
    const left = (limit: number | null, used: number) => (limit === null ? null : Math.max(0, limit - used));
    return {
      dailyLimit: a.dailyLimit,
      usedToday,
      remainingToday: left(a.dailyLimit, usedToday),
      resetsAt,
      resetsAtLocal: formatInZone(resetsAt, a.timeZone),
      timeZone: a.timeZone,
      totalLimit: a.totalLimit,
      usedTotal,
      remainingTotal: left(a.totalLimit, usedTotal),
      concurrentLimit: a.concurrentLimit,
      inFlight,
      perGroup: groupId !== null,
    };
  }

  /**
   * Hands in one of the caller's checkpoints (or an experiment: its last checkpoint). Checks, in
   * order: dates, ownership, the assignment's model rules and the shape, then the quotas, under a
   * per-submitter lock so two requests at once cannot both take the last submission.
   */
  async submit(p: Principal, assignmentId: string, ref: { checkpointId?: string; experimentId?: string }, now = new Date()) {
    const a = await this.get(p, assignmentId);
    if (now < a.opensAt) throw forbidden(`assignment "${a.name}" opens at ${shownAt(a, a.opensAt)}`, { reason: 'not-open' });
    const deadline = await this.deadlineFor(a, p.user.id);
    const lateUntil = new Date(deadline.getTime() + a.lateWindowSeconds * 1000);
    if (now > lateUntil) {
      throw forbidden(`the deadline of "${a.name}" was ${shownAt(a, deadline)}${a.lateWindowSeconds ? ` and the late window closed at ${shownAt(a, lateUntil)}` : ''}`, { reason: 'deadline' });
    }
    const late = now > deadline;

    if (!!ref.checkpointId === !!ref.experimentId) throw badInput('name exactly one of checkpointId or experimentId');
    let checkpoint;
    if (ref.checkpointId) {
      checkpoint = await this.checkpoints.getForTeam(p.team.id, ref.checkpointId);
    } else {
      const e = await this.experiments.get(p.team.id, ref.experimentId!);
      await this.visibility.assertSees(p, e.userId, 'experiment', e.id);
      const last = await this.checkpoints.latest(e.id);
      if (!last) throw badInput(`experiment ${e.id} has no checkpoint yet`, { field: 'experimentId' });
      checkpoint = { ...last, experiment: e };
    }
    const experiment = checkpoint.experiment;
    await this.visibility.assertSees(p, experiment.userId, 'checkpoint', checkpoint.id);
    const groupId = await this.groupOf(p);
    const mine = experiment.userId === p.user.id || (groupId !== null && (await this.visibility.ownerIds(p))?.includes(experiment.userId ?? ''));
    if (!mine) throw forbidden('you can submit only your own (or your group\'s) checkpoints', { reason: 'not-yours' });

    const spec = experiment.spec as unknown as ExperimentSpec;
    if (a.allowedModels.length && !a.allowedModels.includes(spec.model.name)) {
      throw badInput(`model "${spec.model.name}" is not allowed in this assignment; allowed: ${a.allowedModels.join(', ')}`, { field: 'model' });
    }
    if (a.maxEpochs !== null && spec.epochs > a.maxEpochs) throw badInput(`the experiment trained ${spec.epochs} epochs; this assignment allows at most ${a.maxEpochs}`, { field: 'epochs' });
    const target = a.datasetVersionId ? await this.versions.getById(a.datasetVersionId) : null;
    const dataset = await this.datasets.get(p.team.id, a.datasetId);
    const classes = target?.numClasses ?? dataset.numClasses;
    const shape = target?.sampleShape ?? dataset.imageShape;
    if (spec.model.numClasses !== classes) {
      throw badInput(`the model predicts ${spec.model.numClasses} classes; the assignment's data has ${classes}`, { field: 'checkpointId' });
    }
    if (spec.imageShape && spec.imageShape.join('x') !== shape.join('x')) {
      throw badInput(`the model was trained on images of shape [${spec.imageShape.join(', ')}]; the assignment's are [${shape.join(', ')}]`, { field: 'checkpointId' });
    }

    const who = { assignmentId: a.id, ...this.submitterWhere(p.user.id, groupId) };
    const { start, resetsAt } = zonedDay(now, a.timeZone);
    const local = (d: Date) => shownAt(a, d);
    const submission = await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`submit:${a.id}:${groupId ?? p.user.id}`}))`;
      const counted = { ...who, status: { in: [...COUNTED] } };
      if (a.totalLimit !== null) {
        const used = await tx.submission.count({ where: counted });
        if (used >= a.totalLimit) throw quotaExceeded(`all ${a.totalLimit} submissions${groupId ? ' of your group' : ''} are used`, { limit: 'total', used });
      }
      if (a.dailyLimit !== null) {
        const used = await tx.submission.count({ where: { ...counted, createdAt: { gte: start } } });
        if (used >= a.dailyLimit) {
          throw quotaExceeded(`${a.dailyLimit} submissions a day${groupId ? ' per group' : ''}: used; the count resets at ${local(resetsAt)}`, { limit: 'daily', used, resetsAt: resetsAt.toISOString(), resetsAtLocal: formatInZone(resetsAt, a.timeZone), timeZone: a.timeZone });
        }
      }
      if (a.concurrentLimit !== null) {
        const inFlight = await tx.submission.count({ where: { ...who, status: { in: ['QUEUED', 'RUNNING'] } } });
        if (inFlight >= a.concurrentLimit) throw quotaExceeded(`${inFlight} submissions are still being scored (limit ${a.concurrentLimit}); wait for one to finish`, { limit: 'concurrent', inFlight });
      }
      return tx.submission.create({
        data: { assignmentId: a.id, userId: p.user.id, groupId, checkpointId: checkpoint.id, experimentId: experiment.id, late, createdAt: now },
      });
    });
    await this.queue.enqueue('scoreSubmission', { submissionId: submission.id, round: 0 });
    this.logger.log(`submission ${submission.id} to assignment ${a.id}${late ? ' (late)' : ''} queued for scoring`);
    return submission;
  }

  /** The caller's submissions (students: their own and their group's), or everyone's for staff. */
  async submissions(p: Principal, a: AssignmentRow) {
    const owners = await this.visibility.ownerIds(p);
    const groupId = owners ? await this.groupOf(p) : null;
    return this.prisma.submission.findMany({
      where: { assignmentId: a.id, ...(owners ? (groupId ? { OR: [{ groupId }, { userId: p.user.id }] } : { userId: p.user.id }) : {}) },
      orderBy: { createdAt: 'asc' },
    });
  }

  /** What a caller may read of a submission: staff everything; students the shown public score, and the private one after the reveal. */
  view(p: Principal, a: AssignmentRow, s: SubmissionRow, now = new Date()) {
    const staff = !this.visibility.restricted(p);
    const revealed = now >= a.privateRevealAt;
    return {
      ...s,
      publicScore: staff ? s.publicScore : s.publicShown,
      privateScore: staff || revealed ? (s.privateScore === null ? null : staff ? s.privateScore : roundScore(s.privateScore, a.scoreDigits)) : null,
    };
  }

  /** Picks up to maxFinalPicks of the caller's (group's) scored submissions for the private leaderboard. */
  async selectFinal(p: Principal, a: AssignmentRow, ids: string[], now = new Date()) {
    if (now >= a.privateRevealAt) throw forbidden('the private leaderboard is revealed: final picks are locked');
    if (ids.length > a.maxFinalPicks) throw badInput(`at most ${a.maxFinalPicks} final picks, got ${ids.length}`, { field: 'submissionIds' });
    const groupId = await this.groupOf(p);
    const who = { assignmentId: a.id, ...this.submitterWhere(p.user.id, groupId) };
    const picked = await this.prisma.submission.findMany({ where: { ...who, id: { in: ids.filter((i) => UUID.test(i)) } } });
    const missing = ids.find((i) => !picked.some((s) => s.id === i));
    if (missing) throw notFound('submission', missing);
    const unscored = picked.find((s) => s.status !== 'SCORED');
    if (unscored) throw badInput(`submission ${unscored.id} is ${unscored.status}: only scored submissions can be picked`);
    await this.prisma.$transaction([
      this.prisma.submission.updateMany({ where: who, data: { final: false } }),
      this.prisma.submission.updateMany({ where: { ...who, id: { in: ids } }, data: { final: true } }),
    ]);
    return this.prisma.submission.findMany({ where: who, orderBy: { createdAt: 'asc' } });
  }

  async grantExtension(p: Principal, a: AssignmentRow, userId: string, deadline: Date) {
    const m = UUID.test(userId) ? await this.prisma.membership.findUnique({ where: { teamId_userId: { teamId: p.team.id, userId } } }) : null;
    if (!m) throw notFound('member', userId);
    await this.prisma.extension.upsert({
      where: { assignmentId_userId: { assignmentId: a.id, userId } },
      create: { assignmentId: a.id, userId, deadline, grantedBy: p.user.id },
      update: { deadline, grantedBy: p.user.id },
    });
    return deadline;
  }

  /** Re-scores one submission or all (after the scorer or the split changed); each gets an audit row naming who asked. */
  async rescore(p: Principal, a: AssignmentRow, submissionId?: string) {
    const targets = await this.prisma.submission.findMany({
      where: { assignmentId: a.id, status: { in: ['SCORED', 'FAILED'] }, ...(submissionId ? { id: UUID.test(submissionId) ? submissionId : '00000000-0000-0000-0000-000000000000' } : {}) },
    });
    if (submissionId && targets.length === 0) throw notFound('scored submission', submissionId);
    for (const s of targets) {
      const [updated] = await this.prisma.$transaction([
        this.prisma.submission.update({ where: { id: s.id }, data: { scoreRound: { increment: 1 }, status: 'QUEUED' } }),
        this.prisma.scoreAudit.create({
          data: { submissionId: s.id, actorUserId: p.user.id, reason: 're-score requested', oldPublic: s.publicScore, oldPrivate: s.privateScore },
        }),
      ]);
      await this.queue.enqueue('scoreSubmission', { submissionId: s.id, round: updated.scoreRound });
    }
    this.logger.log(`user ${p.user.id} queued ${targets.length} re-score(s) on assignment ${a.id}`);
    return targets.length;
  }

  audits(a: AssignmentRow) {
    return this.prisma.scoreAudit.findMany({ where: { submission: { assignmentId: a.id } }, orderBy: { createdAt: 'asc' } });
  }

  /**
   * One row per submitter (a group, or a student working alone), every student of the course
   * included (nothing scored: sorted last). Public: the best public score as shown. Private: the
   * best private score among the final picks, or, with no picks, of the best public submission.
   */
  async leaderboard(p: Principal, a: AssignmentRow, priv: boolean, now = new Date()) {
    const staff = !this.visibility.restricted(p);
    if (priv && !staff && now < a.privateRevealAt) throw forbidden(`the private leaderboard is revealed at ${shownAt(a, a.privateRevealAt)}`, { reason: 'not-revealed' });
    const entries = await this.entries(a);
    const rows = entries.map((e) => {
      const deciding = priv ? e.privatePick : e.bestPublic;
      const score = deciding ? (priv ? deciding.privateScore : staff ? deciding.publicScore : deciding.publicShown) : null;
      return {
        key: e.key,
        name: e.name,
        userIds: e.userIds,
        groupId: e.groupId,
        score: score === null || score === undefined ? null : roundScore(score, a.scoreDigits),
        at: deciding?.createdAt ?? null,
        submissions: e.count,
      };
    });
    return rankEntries(rows, a.direction).map((r) => ({ ...r, submittedAt: r.at }));
  }

  /** Per submitter: members, scored submissions, best public and the private pick. */
  private async entries(a: AssignmentRow) {
    const [members, groups, subs] = await Promise.all([
      this.prisma.membership.findMany({ where: { teamId: a.teamId, role: 'STUDENT' }, include: { user: true } }),
      this.prisma.studentGroup.findMany({ where: { teamId: a.teamId } }),
      this.prisma.submission.findMany({ where: { assignmentId: a.id, status: { notIn: ['FAILED', 'CANCELLED'] } } }),
    ]);
    const byKey = new Map<string, { key: string; name: string; userIds: string[]; groupId: string | null; subs: SubmissionRow[] }>();
    for (const m of members) {
      const key = m.groupId ?? m.userId;
      const e = byKey.get(key) ?? { key, name: m.groupId ? groups.find((g) => g.id === m.groupId)!.name : m.user.name, userIds: [], groupId: m.groupId, subs: [] };
      e.userIds.push(m.userId);
      byKey.set(key, e);
    }
    for (const s of subs) {
      const key = s.groupId ?? s.userId;
      if (!byKey.has(key)) byKey.set(key, { key, name: key, userIds: [s.userId], groupId: s.groupId, subs: [] });
      byKey.get(key)!.subs.push(s);
    }
    return [...byKey.values()].map((e) => {
      const scored = e.subs.filter((s) => s.status === 'SCORED');
      const best = (pick: (s: SubmissionRow) => number | null, among: SubmissionRow[]) =>
        bestOf(among.map((s) => ({ s, score: pick(s), at: s.createdAt })), a.direction)?.s;
      const bestPublic = best((s) => s.publicScore, scored);
      const finals = scored.filter((s) => s.final);
      const privatePick = best((s) => s.privateScore, finals.length ? finals : bestPublic ? [bestPublic] : []);
      return { ...e, count: e.subs.length, bestPublic, privatePick };
    });
  }

  /** Grades as CSV: one row per student (a group's members share its row's scores). */
  async gradesCsv(a: AssignmentRow): Promise<string> {
    const entries = await this.entries(a);
    const names = new Map((await this.prisma.user.findMany({ where: { id: { in: entries.flatMap((e) => e.userIds) } } })).map((u) => [u.id, u.name]));
    const cell = (v: unknown) => {
      const s = v === null || v === undefined ? '' : String(v);
      return /[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? `"${(/^[=+\-@]/.test(s) ? "'" : '') + s.replace(/"/g, '""')}"` : s;
    };
    const lines = [['student', 'user_id', 'group', 'best_public', 'final_private', 'late', 'late_penalty_applied', 'final_score', 'submissions'].join(',')];
    for (const e of entries) {
      const pick = e.privatePick;
      const late = pick?.late ?? false;
      const priv = pick?.privateScore ?? null;
      const final = priv === null ? null : roundScore(late ? priv * (1 - a.latePenalty) : priv, a.scoreDigits);
      for (const userId of e.userIds) {
        lines.push(
          [
            names.get(userId) ?? userId,
            userId,
            e.groupId ? e.name : '',
            e.bestPublic?.publicScore === null || !e.bestPublic ? '' : roundScore(e.bestPublic.publicScore!, a.scoreDigits),
            priv === null ? '' : roundScore(priv, a.scoreDigits),
            late,
            late ? a.latePenalty : 0,
            final ?? '',
            e.count,
          ]
            .map(cell)
            .join(','),
        );
      }
    }
    return lines.join('\n') + '\n';
  }
}
