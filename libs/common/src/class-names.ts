/**
 * The name of each class a model outputs, wherever predictions are shown (serving, batch
 * prediction): the experiment spec's own `classNames` when it has them, else the names the dataset
 * version recorded at ingest, else the index ("0", "1", ...).
 */
export function classNamesFor(specClassNames: unknown, datasetClassNames: readonly string[] | undefined, numClasses: number): string[] {
  const named = Array.isArray(specClassNames) ? specClassNames.map(String) : datasetClassNames;
  return Array.from({ length: numClasses }, (_, i) => named?.[i] ?? String(i));
}
