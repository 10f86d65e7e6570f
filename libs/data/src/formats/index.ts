export * from './format';
export * from './archive';
export * from './registry';
export { IDX_FILES } from './idx.format';
