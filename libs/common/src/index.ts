export * from './errors';
export * from './jobs';
export * from './batch';
