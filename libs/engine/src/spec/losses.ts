/** The loss registry's schemas (pure). The math is in ../losses.ts. */
import { z } from 'zod';

const reduction = z.enum(['mean', 'sum']).default('mean');
const smoothing = z.number().min(0, 'labelSmoothing must be >= 0').lt(1, 'labelSmoothing must be < 1').default(0);
/** Regression-style losses on class labels compare against the one-hot row of the label. */
const oneHot = z.boolean().default(false);

export const lossSpecSchema = z.discriminatedUnion(
  'name',
  [
    z.object({ name: z.literal('SoftmaxCrossEntropyWithLogits'), sparse: z.boolean().default(true), labelSmoothing: smoothing, reduction }).strict(),
    z.object({ name: z.literal('SigmoidBinaryCrossEntropy'), oneHot, labelSmoothing: smoothing, reduction }).strict(),
    z.object({ name: z.literal('MSE'), oneHot, reduction }).strict(),
    z.object({ name: z.literal('L1'), oneHot, reduction }).strict(),
    z.object({ name: z.literal('Huber'), oneHot, delta: z.number().positive('delta must be > 0').finite().default(1), reduction }).strict(),
  ],
  { errorMap: (issue, ctx) => (issue.code === 'invalid_union_discriminator' ? { message: `unknown loss; expected one of ${LOSS_NAMES.join(', ')}` } : { message: ctx.defaultError }) },
);

export const LOSS_NAMES = ['SoftmaxCrossEntropyWithLogits', 'SigmoidBinaryCrossEntropy', 'MSE', 'L1', 'Huber'] as const;
export type LossName = (typeof LOSS_NAMES)[number];
export type LossSpecInput = z.input<typeof lossSpecSchema>;
export type ResolvedLossSpec = z.output<typeof lossSpecSchema>;

/** What the loss sees: class indices, real-valued targets, or one-hot rows (the pipeline's OneHot op). */
export type LabelKind = 'class' | 'regression' | 'one-hot';

/**
 * Why a loss does not fit the labels, or undefined when it does. Class labels need cross-entropy, or a
 * regression-style loss on their one-hot rows (oneHot: true); regression targets need MSE, L1 or Huber
 * on the values themselves.
 */
export function lossLabelMismatch(loss: ResolvedLossSpec, labels: LabelKind): string | undefined {
  // One-hot rows are float targets every loss takes as they are (cross-entropy as sparse: false).
  if (labels === 'one-hot') return loss.name !== 'SoftmaxCrossEntropyWithLogits' && loss.oneHot ? `${loss.name} with oneHot: true on labels the pipeline's OneHot already made one-hot; drop one of them` : undefined;
  if (labels === 'class') {
    if (loss.name !== 'SoftmaxCrossEntropyWithLogits' && !loss.oneHot) {
      return `${loss.name} on class labels needs oneHot: true (it compares the outputs with each label's one-hot row); or use SoftmaxCrossEntropyWithLogits`;
    }
    return undefined;
  }
  if (loss.name === 'SoftmaxCrossEntropyWithLogits') {
    return `${loss.sparse ? 'sparse ' : ''}cross-entropy needs class labels, but this dataset has a regression target; use MSE, L1 or Huber`;
  }
  if (loss.name === 'SigmoidBinaryCrossEntropy') return 'SigmoidBinaryCrossEntropy needs class labels, but this dataset has a regression target';
  if (loss.oneHot) return `${loss.name} with oneHot: true needs class labels, but this dataset has a regression target`;
  return undefined;
}
