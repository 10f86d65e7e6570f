export * from './dataset-index';
export * from './shard-writer';
