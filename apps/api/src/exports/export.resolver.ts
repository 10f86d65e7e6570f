import { UseGuards } from '@nestjs/common';
import { Args, Context, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentTeam, TeamPrincipal } from '@trainyard/auth';
import { Loaders } from '../graphql/loaders';
import { Checkpoint } from '../graphql/types';
import { toCheckpointExport } from './export.mapper';
import { CheckpointExportService } from './export.service';
import { CheckpointExport, ExportFormat } from './export.types';

@Resolver(() => Checkpoint)
@UseGuards(ApiKeyGuard)
export class CheckpointExportResolver {
  constructor(
    private readonly service: CheckpointExportService,
    private readonly loaders: Loaders,
  ) {}

  @Mutation(() => CheckpointExport, {
    description: 'Queues the export of a checkpoint (ONNX). Asking again returns the same export; after a FAILED one, a new one starts.',
  })
  async exportCheckpoint(
    @CurrentTeam() team: TeamPrincipal,
    @Args('checkpointId', { type: () => ID }) checkpointId: string,
    @Args('format', { type: () => ExportFormat, defaultValue: ExportFormat.ONNX }) format: ExportFormat,
  ) {
    return toCheckpointExport(await this.service.request(team.id, checkpointId, format));
  }

  @Query(() => CheckpointExport)
  async checkpointExport(@CurrentTeam() team: TeamPrincipal, @Args('id', { type: () => ID }) id: string) {
    return toCheckpointExport(await this.service.get(team.id, id));
  }

  @ResolveField(() => [CheckpointExport], { description: 'Exports of this checkpoint (exportCheckpoint), with their status.' })
  async exports(@Parent() c: Checkpoint, @Context('req') req: object, @Args('format', { type: () => ExportFormat, nullable: true }) format?: ExportFormat) {
    // Batched: `experiments { checkpoints { exports } }` runs one query, not one per checkpoint.
    return (await this.loaders.exports(req, c.id, format)).map(toCheckpointExport);
  }
}
