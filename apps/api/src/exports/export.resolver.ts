import { UseGuards } from '@nestjs/common';
import { Args, Context, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentPrincipal, Principal, VisibilityService } from '@trainyard/auth';
import { CheckpointRepository } from '@trainyard/db';
import { Loaders } from '../graphql/loaders';
import { Checkpoint } from '../graphql/types';
import { notFound } from '@trainyard/common';
import { toCheckpointExport } from './export.mapper';
import { CheckpointExportService } from './export.service';
import { CheckpointExport, ExportFormat } from './export.types';

@Resolver(() => Checkpoint)
@UseGuards(ApiKeyGuard)
export class CheckpointExportResolver {
  constructor(
    private readonly service: CheckpointExportService,
    private readonly checkpoints: CheckpointRepository,
    private readonly visibility: VisibilityService,
    private readonly loaders: Loaders,
  ) {}

  /** In a course, students reach only their own (and their group's) checkpoints; others are NOT_FOUND. */
  private async visible(p: Principal, checkpointId: string) {
    const c = await this.checkpoints.getForTeam(p.team.id, checkpointId);
    await this.visibility.assertSees(p, c.experiment.userId, 'checkpoint', checkpointId);
  }

  @Mutation(() => CheckpointExport, {
    description: 'Queues the export of a checkpoint (ONNX). Asking again returns the same export; after a FAILED one, a new one starts.',
  })
  async exportCheckpoint(
    @CurrentPrincipal() p: Principal,
    @Args('checkpointId', { type: () => ID }) checkpointId: string,
    @Args('format', { type: () => ExportFormat, defaultValue: ExportFormat.ONNX }) format: ExportFormat,
  ) {
    await this.visible(p, checkpointId);
    return toCheckpointExport(await this.service.request(p.team.id, checkpointId, format));
  }

  @Query(() => CheckpointExport)
  async checkpointExport(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    const e = await this.service.get(p.team.id, id);
    await this.visible(p, e.checkpointId).catch(() => {
      throw notFound('export', id);
    });
    return toCheckpointExport(e);
  }

  @ResolveField(() => [CheckpointExport], { description: 'Exports of this checkpoint (exportCheckpoint), with their status.' })
  async exports(@Parent() c: Checkpoint, @Context('req') req: object, @Args('format', { type: () => ExportFormat, nullable: true }) format?: ExportFormat) {
    // Batched: `experiments { checkpoints { exports } }` runs one query, not one per checkpoint.
    return (await this.loaders.exports(req, c.id, format)).map(toCheckpointExport);
  }
}
