export * from './artifact-store';
export * from './keys';
export * from './local.artifact-store';
export * from './s3.artifact-store';
export * from './storage.module';
