// Jest environment for specs that run onnxruntime-node. Its native binding creates output typed arrays
// in Node's main realm, and onnxruntime-common then checks `data instanceof Float32Array` inside the
// test's vm realm, which fails ("A float32 tensor's data must be type of Float32Array"). Jest's node
// environment already shares ArrayBuffer and Uint8Array with the main realm for the same reason; this
// shares the other typed arrays too. Use it with a docblock: @jest-environment ./test/support/onnx-environment.js
const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = [
  'Int8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class OnnxEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxEnvironment;
