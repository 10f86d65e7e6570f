/**
 * Batch normalization's gradient without Tile. tfjs 4.22's FusedBatchNorm gradient materializes
 * rsqrt(variance + ε) tiled to the full activation shape ([n, h, w, c]) before multiplying (a generic
 * Tile loop on wasm: ~60% of a ResNet-20 training step). Broadcasting gives the same products element
 * for element, so this registration is tfjs' formula with `tile` replaced by broadcasting: results are
 * identical on every backend (tested against tfjs' own gradient on cpu and wasm).
 */
import * as tf from '@tensorflow/tfjs';

let registered = false;

/** Replaces tfjs' FusedBatchNorm gradient (idempotent; global, identical results everywhere). */
export function registerBatchNormGradient(): void {
  if (registered) return;
  tf.registerGradient({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      const [x, mean, variance, scale] = saved;
      const g = dy as tf.Tensor;
      const scaleValue = scale == null ? tf.scalar(1) : scale;
      // Axes of x that mean/variance were broadcast over.
      const reductionAxes: number[] = [];
      const offset = x.rank - mean.rank;
      for (let i = 0; i < x.rank; i++) {
        const d = i - offset;
        if (d < 0 || (mean.shape[d] === 1 && x.shape[i] > 1)) reductionAxes.push(i);
      }
      const reduce = (t: tf.Tensor) => (mean.rank === 1 || reductionAxes.length ? tf.sum(t, reductionAxes) : t);
      const xMinusMean = tf.sub(x, mean);
      const dyTimesScale = tf.mul(g, scaleValue);
      const oneOverSqrtVariance = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
      const minusHalfRCube = tf.mul(tf.mul(tf.mul(oneOverSqrtVariance, oneOverSqrtVariance), oneOverSqrtVariance), tf.scalar(-0.5));
      return {
        x: () => tf.reshape(tf.mul(tf.mul(g, oneOverSqrtVariance), scaleValue), x.shape),
        mean: () => tf.reshape(reduce(tf.mul(tf.mul(oneOverSqrtVariance, tf.scalar(-1)), dyTimesScale)), mean.shape),
        variance: () => tf.reshape(reduce(tf.mul(tf.mul(minusHalfRCube, xMinusMean), dyTimesScale)), mean.shape),
        scale: () => tf.reshape(reduce(tf.mul(g, tf.mul(xMinusMean, oneOverSqrtVariance))), mean.shape),
        offset: () => tf.reshape(reduce(g), mean.shape),
      };
    },
  });
  registered = true;
}
