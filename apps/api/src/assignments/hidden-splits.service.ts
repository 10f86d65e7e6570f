import { Injectable } from '@nestjs/common';
import { Principal, VisibilityService } from '@trainyard/auth';
import { forbidden, notFound } from '@trainyard/common';
import { PrismaService } from '@trainyard/db';

/**
 * The one place that knows which data are hidden: the test split of a dataset an assignment scores
 * on. Students never download it, never read metrics computed on it, and never write over its files.
 */
@Injectable()
export class HiddenSplits {
  constructor(
    private readonly prisma: PrismaService,
    private readonly visibility: VisibilityService,
  ) {}

  async isHidden(teamId: string, datasetId: string): Promise<boolean> {
    return (await this.prisma.assignment.count({ where: { teamId, datasetId } })) > 0;
  }

  /** Whether `datasetId` has a hidden split this caller must not see. */
  async hidesFrom(p: Principal, datasetId: string): Promise<boolean> {
    return this.visibility.restricted(p) && (await this.isHidden(p.team.id, datasetId));
  }

  /** A version's view for a student on a hidden dataset: no test split statistics, no test source records. */
  redactVersion<V extends { splits: Array<{ name: string }>; sources: Array<{ name: string }> }>(v: V): V {
    return { ...v, splits: v.splits.filter((s) => s.name === 'train' || s.name === 'validation'), sources: v.sources.filter((s) => !/^t(10k|est)/i.test(s.name)) };
  }

  /**
   * Refuses a student any access to the hidden split of `datasetId` (and any write to its files).
   * A read of the hidden split answers exactly as a read of something that does not exist
   * (`asMissing`: the NOT_FOUND the route gives for a missing file, version or dataset), so a probe
   * learns nothing from the code or the message, and the refusal costs the same lookups a miss does.
   */
  async guardFile(p: Principal, datasetId: string, split: 'train' | 'test', write: boolean, asMissing?: { what: string; id: string }): Promise<void> {
    if (!this.visibility.restricted(p) || !(await this.isHidden(p.team.id, datasetId))) return;
    if (write) throw forbidden("this dataset belongs to an assignment: only instructors and assistants change its files");
    if (split === 'test') throw asMissing ? notFound(asMissing.what, asMissing.id) : forbidden("this dataset's test split is an assignment's hidden split: students cannot download it");
  }
}
