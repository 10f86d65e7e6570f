/**
 * Live events for clients (GraphQL subscriptions): what changed, never the data itself beyond
 * loss points (subscribers re-read rows through the same visibility rules as queries).
 */
export interface LossPointEvent {
  step: number;
  epoch: number;
  loss: number;
  lr?: number | null;
}

export type TrainyardEvent =
  /** An experiment's status, progress or cancel flag changed. */
  | { kind: 'experiment'; teamId: string; experimentId: string }
  /** New points of an experiment's loss series, oldest first. */
  | { kind: 'lossPoints'; teamId: string; experimentId: string; points: LossPointEvent[] }
  /** A dataset version's status (uploading, ingesting, ready, failed) changed. */
  | { kind: 'datasetVersion'; teamId: string; datasetId: string; versionId: string };

export type EventKind = TrainyardEvent['kind'];

/** The topic an event goes out on (and a subscriber listens to): one per kind and object. */
export function topic(kind: EventKind, id: string): string {
  return `${kind}:${id}`;
}

export function topicOf(e: TrainyardEvent): string {
  return topic(e.kind, e.kind === 'datasetVersion' ? e.versionId : e.experimentId);
}

/** Injection token of the PubSubEngine (graphql-subscriptions) every process shares. */
export const EVENT_BUS = Symbol('EVENT_BUS');
