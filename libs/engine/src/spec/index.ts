/**
 * @trainyard/engine/spec: the engine's registries (models, losses, optimizers, schedules, callbacks)
 * as zod schemas, plus topology validation and model summaries. Imports only zod, so the API and
 * @trainyard/common build on it without loading TensorFlow.js.
 */
export * from './topology';
export * from './zoo';
export * from './models';
export * from './losses';
export * from './optimizers';
export * from './schedules';
export * from './callbacks';
export * from './experiment';
