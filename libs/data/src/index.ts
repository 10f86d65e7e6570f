export * from './idx';
export * from './idx-validator';
export * from './mnist';
export * from './pipeline-spec';
export * from './ops';
export * from './dataset';
export * from './rng';
export * from './batch-source';
