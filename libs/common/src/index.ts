export * from './errors';
export * from './jobs';
export * from './batch';
export { TrainyardErrorFilter, toClientError, ClientError } from './error-filter';
export * from './experiment-spec';
export * from './scoring';
export * from './checkpoint-header';
export * from './retention';
export * from './receipt';
