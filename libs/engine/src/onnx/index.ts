export { exportToOnnx } from './export';
export type { OnnxExportOptions, OnnxModel } from './export';
export { OnnxExportError } from './errors';
export { SUPPORTED_LAYERS } from './layers';
export { loadOnnxRuntime, tfjsRuntime } from './runtime';
export type { InferenceRuntime, OnnxRuntimeOptions, RuntimeKind } from './runtime';
export { measureOnnxParity } from './verify';
