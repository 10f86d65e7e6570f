/**
 * The contract between the data pipeline (@trainyard/data) and the training engine (@trainyard/engine).
 * It lives here so neither lib imports the other.
 */

/** One mini-batch: `n` samples of float32 features and their integer class labels. */
export interface Batch {
  /** Row-major features, `xShape` product elements. */
  x: Float32Array;
  /** `[n, h, w, c]` (channels last) or `[n, c, h, w]` (channels first, after HWC2CHW). */
  xShape: number[];
  /** `n` class indices in `[0, numClasses)`; all zeros for a regression dataset (read `targets`). */
  y: Int32Array;
  /**
   * Float targets, row-major `[n, k]`, when the labels are not plain class indices: a regression
   * dataset's values (k = 1), or one-hot rows made by the pipeline's OneHot op (k = its numClasses).
   * When present, losses compare the model's outputs with these instead of with `y`.
   */
  targets?: Float32Array;
}

/**
 * A dataset ready for training: `epoch(e)` yields that epoch's batches. It must be deterministic for a
 * given `e` (shuffle with seed + e), which is what makes resume exact: start at epoch E, skip K batches.
 */
export interface BatchSource {
  /** Batches `epoch(e)` yields, the same for every e. */
  batchesPerEpoch: number;
  epoch(epochIndex: number): Iterable<Batch> | AsyncIterable<Batch>;
  /**
   * The consumer is done with a batch (its tensors are built and disposed): the source may reuse its
   * arrays for a later batch instead of allocating new ones. Optional on both sides; a consumer that
   * keeps batches simply never calls it, and a batch must not be read after it is released.
   */
  release?(batch: Batch): void;
  /** Ends what the source holds besides its batches (a sharded source's prefetch thread); call once done with it. */
  close?(): Promise<void>;
}
