import { UseGuards } from '@nestjs/common';
import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentTeam, TeamPrincipal } from '@trainyard/auth';
import { Checkpoint } from '../graphql/types';
import { toCheckpointExport } from './export.mapper';
import { CheckpointExportService } from './export.service';
import { CheckpointExport, ExportFormat } from './export.types';

@Resolver(() => Checkpoint)
@UseGuards(ApiKeyGuard)
export class CheckpointExportResolver {
  constructor(private readonly service: CheckpointExportService) {}

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
  async exports(@Parent() c: Checkpoint, @Args('format', { type: () => ExportFormat, nullable: true }) format?: ExportFormat) {
    return (await this.service.forCheckpoint(c.id, format)).map(toCheckpointExport);
  }
}
