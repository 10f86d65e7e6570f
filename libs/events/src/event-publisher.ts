import { Inject, Injectable, Logger } from '@nestjs/common';
import { PubSubEngine } from 'graphql-subscriptions';
import { EVENT_BUS, LossPointEvent, TrainyardEvent, topicOf } from './events';

/**
 * What workers and the api call when something a client may watch changed. Best effort: a failed
 * publish is logged and never fails the work that caused it (clients can always poll).
 */
@Injectable()
export class EventPublisher {
  private readonly logger = new Logger('Events');

  constructor(@Inject(EVENT_BUS) private readonly bus: PubSubEngine) {}

  async publish(event: TrainyardEvent): Promise<void> {
    try {
      await this.bus.publish(topicOf(event), event);
    } catch (err) {
      this.logger.warn(`event ${topicOf(event)} not published: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  experimentChanged(teamId: string, experimentId: string) {
    return this.publish({ kind: 'experiment', teamId, experimentId });
  }

  lossPointsAdded(teamId: string, experimentId: string, points: LossPointEvent[]) {
    return this.publish({ kind: 'lossPoints', teamId, experimentId, points });
  }

  datasetVersionChanged(teamId: string, datasetId: string, versionId: string) {
    return this.publish({ kind: 'datasetVersion', teamId, datasetId, versionId });
  }
}
