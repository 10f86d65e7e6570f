/**
 * Conv2DBackpropFilter for the wasm backend (tfjs-backend-wasm 4.22 has none, so training any conv
 * net fails without it).
 *
 * dW[i, j, ci, co] = sum_{n, oy, ox} xpad[n, oy*s + i*d, ox*s + j*d, ci] * dy[n, oy, ox, co]
 * is itself a convolution: treat ci as the batch and n as the channels,
 *   X' = transpose(xpad, [3, 1, 2, 0])   [Cin, Hp, Wp, N]
 *   F' = transpose(dy,   [1, 2, 0, 3])   [OH, OW, N, Cout]
 * and run the wasm (XNNPACK) Conv2D with stride 1, dilation = the forward stride, pad valid. The result
 * [Cin, >=fh, >=fw, Cout] is sliced to the filter size and transposed [1, 2, 0, 3] to [fh, fw, Cin, Cout].
 */
import * as tf from '@tensorflow/tfjs';
import { nativeConv2DBackpropFilter, nativeKernels } from './native';
import { backpropConvInfo, callWasm, free, TensorInfo, WasmBackend } from './util';

export function conv2DBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: WasmBackend;
  attrs: tf.Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const info = backpropConvInfo('Conv2DBackpropFilter', x.shape, attrs.filterShape, attrs);
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const { dilationHeight: dh, dilationWidth: dw } = info;
  if (dh !== 1 || dw !== 1) throw new Error('wasm Conv2DBackpropFilter: dilations are not supported');
  const addon = nativeKernels();
  if (addon && x.dtype === 'float32' && dy.dtype === 'float32') return nativeConv2DBackpropFilter(addon, backend, x, dy, info);

  const [, oh, ow] = dy.shape;
  // Rows of x the forward pass touched: (oh - 1) * sh + fh after padding; trim/pad x to exactly that
  // so the convolution's output is exactly [fh, fw].
  const needH = (oh - 1) * sh + fh;
  const needW = (ow - 1) * sw + fw;
  const [, h, w] = x.shape;
  const padBottom = needH - h - padInfo.top;
  const padRight = needW - w - padInfo.left;
  const tmp: TensorInfo[] = [];
  let xp = x;
  if (padInfo.top !== 0 || padInfo.left !== 0 || padBottom !== 0 || padRight !== 0) {
    // Negative padding (rows the forward pass never read) is trimmed by a slice first.
    const cutH = Math.max(0, -padBottom);
    const cutW = Math.max(0, -padRight);
    if (cutH > 0 || cutW > 0) {
      xp = callWasm('Slice', backend, { x: xp }, { begin: [0, 0, 0, 0], size: [x.shape[0], h - cutH, w - cutW, x.shape[3]] });
      tmp.push(xp);
    }
    const pb = Math.max(0, padBottom);
    const pr = Math.max(0, padRight);
    if (padInfo.top !== 0 || padInfo.left !== 0 || pb !== 0 || pr !== 0) {
      xp = callWasm('PadV2', backend, { x: xp }, {
        paddings: [
          [0, 0],
          [padInfo.top, pb],
          [padInfo.left, pr],
          [0, 0],
        ],
        constantValue: 0,
      });
      tmp.push(xp);
    }
  }
  const xt = callWasm('Transpose', backend, { x: xp }, { perm: [3, 1, 2, 0] });
  const dyt = callWasm('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] });
  const conv = callWasm('Conv2D', backend, { x: xt, filter: dyt }, {
    strides: [1, 1],
    pad: 'valid',
    dataFormat: 'NHWC',
    dilations: [sh, sw],
    dimRoundingMode: undefined,
  });
  const out = callWasm('Transpose', backend, { x: conv }, { perm: [1, 2, 0, 3] });
  free(backend, ...tmp, xt, dyt, conv);
  return out;
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};
