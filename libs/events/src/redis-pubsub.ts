import { Logger } from '@nestjs/common';
import { PubSubEngine } from 'graphql-subscriptions';
import Redis from 'ioredis';

/**
 * graphql-subscriptions' PubSubEngine over Redis pub/sub, so an event published by a worker on one
 * machine reaches subscribers on every api process. One publishing and one subscribing connection
 * per process; a channel is subscribed while at least one subscriber listens to it. Messages are
 * JSON. Delivery is at most once (Redis pub/sub): clients that miss one still poll or re-read.
 */
export class RedisPubSub extends PubSubEngine {
  private readonly logger = new Logger('Events');
  private pub?: Redis;
  private sub?: Redis;
  private nextId = 1;
  private readonly handlers = new Map<number, { channel: string; onMessage: (payload: unknown) => void }>();
  private readonly byChannel = new Map<string, Set<number>>();

  constructor(
    private readonly url: string,
    private readonly prefix: string,
  ) {
    super();
  }

  private channel(trigger: string): string {
    return `${this.prefix}:events:${trigger}`;
  }

  private connection(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 3, lazyConnect: false });
  }

  async publish(trigger: string, payload: unknown): Promise<void> {
    this.pub ??= this.connection();
    await this.pub.publish(this.channel(trigger), JSON.stringify(payload));
  }

  async subscribe(trigger: string, onMessage: (payload: unknown) => void): Promise<number> {
    if (!this.sub) {
      this.sub = this.connection();
      this.sub.on('message', (channel: string, message: string) => {
        let payload: unknown;
        try {
          payload = JSON.parse(message);
        } catch {
          this.logger.warn(`dropped a malformed event on ${channel}`);
          return;
        }
        for (const id of this.byChannel.get(channel) ?? []) this.handlers.get(id)?.onMessage(payload);
      });
    }
    const channel = this.channel(trigger);
    const id = this.nextId++;
    this.handlers.set(id, { channel, onMessage });
    let ids = this.byChannel.get(channel);
    if (!ids) {
      ids = new Set();
      this.byChannel.set(channel, ids);
      ids.add(id);
      await this.sub.subscribe(channel);
    } else {
      ids.add(id);
    }
    return id;
  }

  unsubscribe(id: number): void {
    const h = this.handlers.get(id);
    if (!h) return;
    this.handlers.delete(id);
    const ids = this.byChannel.get(h.channel);
    ids?.delete(id);
    if (ids && ids.size === 0) {
      this.byChannel.delete(h.channel);
      this.sub?.unsubscribe(h.channel).catch((e: Error) => this.logger.warn(`unsubscribe ${h.channel}: ${e.message}`));
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pub, this.sub].map((c) => c?.quit().catch(() => c.disconnect())));
    this.pub = this.sub = undefined;
  }
}
