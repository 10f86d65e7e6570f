export * from './events';
export { EventPublisher } from './event-publisher';
export { EventsModule } from './events.module';
export { RedisPubSub } from './redis-pubsub';
export { mapEvents, subscribeEvents } from './event-stream';
