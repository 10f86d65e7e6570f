import { Inject, Injectable, Logger } from '@nestjs/common';
import { PubSubEngine } from 'graphql-subscriptions';
import { EVENT_BUS, LossPointEvent, TrainyardEvent, topicOf } from './events';

/**
 * What workers and the api call when something a client may watch changed. Best effort: a failed
 * publish is logged and never fails or delays the work that caused it (clients can always poll).
 */
@Injectable()
export class EventPublisher {
  private readonly logger = new Logger('Events');

  constructor(@Inject(EVENT_BUS) private readonly bus: PubSubEngine) {}

  /**
   * Sends the event without waiting for the bus: a slow or unreachable Redis never holds up the
   * training loop or a request (ioredis keeps the order of one connection's publishes).
   */
  publish(event: TrainyardEvent): Promise<void> {
    try {
      this.bus.publish(topicOf(event), event).catch((err: unknown) => this.warn(event, err));
    } catch (err) {
      this.warn(event, err);
    }
    return Promise.resolve();
  }

  private warn(event: TrainyardEvent, err: unknown) {
    this.logger.warn(`event ${topicOf(event)} not published: ${err instanceof Error ? err.message : String(err)}`);
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
