import { ErrorCode, TrainyardError } from '@trainyard/common';

/** A model the exporter cannot write: it names the layer, its class and the reason. */
export class OnnxExportError extends TrainyardError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.BAD_USER_INPUT, `ONNX export: ${message}`, details);
    this.name = 'OnnxExportError';
  }
}
