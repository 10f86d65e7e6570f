export { TrainyardClient, type TrainyardClientOptions, type Whoami } from './client';
export * from './errors';
export * from './datasets';
export * from './experiments';
export * from './checkpoints';
export * from './deployments';
export * from './predict';
export * from './pages';
export type { UploadSource } from './upload';
export type { TypedDocument } from './transport';
/** Every generated type and typed document (from schema.graphql and src/operations). */
export * as gql from './generated/graphql';
