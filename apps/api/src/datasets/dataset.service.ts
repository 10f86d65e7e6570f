import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { badInput, invalidFile, notFound, quote } from '@trainyard/common';
import { checkMnistConsistency, createIdxValidator, IdxFileReport } from '@trainyard/data';
import { DatasetRepository } from '@trainyard/db';
import { ARTIFACT_STORE, ArtifactStore, keys } from '@trainyard/storage';

/** URL slugs of the four MNIST files, as in the original file names. */
export const FILE_ROLES = {
  'train-images': { role: 'TRAIN_IMAGES', kind: 'images', split: 'train' },
  'train-labels': { role: 'TRAIN_LABELS', kind: 'labels', split: 'train' },
  'test-images': { role: 'TEST_IMAGES', kind: 'images', split: 'test' },
  'test-labels': { role: 'TEST_LABELS', kind: 'labels', split: 'test' },
} as const;
export type FileSlug = keyof typeof FILE_ROLES;

/** The role of a URL slug; own properties only (a slug like "constructor" is not a file). */
function fileRole(slug: string) {
  if (!Object.hasOwn(FILE_ROLES, slug)) throw badInput(`unknown file ${quote(slug)}; expected one of ${Object.keys(FILE_ROLES).join(', ')}`, { field: 'file' });
  return FILE_ROLES[slug as FileSlug];
}
const slugOf = (role: string) => (Object.keys(FILE_ROLES) as FileSlug[]).find((s) => FILE_ROLES[s].role === role)!;

type FileRow = Awaited<ReturnType<DatasetRepository['get']>>['files'][number];

const reportOf = (f: FileRow): IdxFileReport => ({
  role: slugOf(f.role),
  kind: FILE_ROLES[slugOf(f.role)].kind,
  count: f.count,
  dims: [f.count, ...f.dims],
  classHistogram: f.classHistogram.length ? f.classHistogram : undefined,
  numClasses: f.classHistogram.length || undefined,
  gzipped: f.gzipped,
  sha256: f.sha256,
  sizeBytes: Number(f.sizeBytes),
  idxBytes: 0,
});

@Injectable()
export class DatasetService {
  private readonly logger = new Logger('Datasets');

  constructor(
    private readonly datasets: DatasetRepository,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
  ) {}

  /**
   * Streams one idx file into the store while validating it. Only a valid file that agrees with the
   * dataset's other files replaces what was there; a rejected upload leaves the dataset as it was.
   */
  async upload(teamId: string, datasetId: string, slug: string, body: Readable) {
    const spec = fileRole(slug);
    const dataset = await this.datasets.get(teamId, datasetId);

    const key = keys.datasetFile(teamId, datasetId, slug, randomUUID());
    const validator = createIdxValidator(spec.kind, { role: slug, numClasses: 10 });
    let report: IdxFileReport;
    try {
      await Promise.all([pipeline(body, validator), this.store.put(key, validator, { contentType: 'application/octet-stream' })]);
      report = await validator.report;
      this.checkAgainstOthers(report, slug as FileSlug, dataset.files);
    } catch (err) {
      await this.store.delete(key).catch(() => undefined);
      throw err;
    }

    const replaced = await this.datasets.replaceFile(datasetId, {
      role: spec.role,
      storageKey: key,
      sizeBytes: report.sizeBytes,
      gzipped: report.gzipped,
      sha256: report.sha256,
      count: report.count,
      dims: report.dims.slice(1),
      classHistogram: report.classHistogram ?? [],
    });
    if (replaced) await this.store.delete(replaced).catch((e) => this.logger.warn(`could not delete ${replaced}: ${e.message}`));
    this.logger.log(`dataset ${datasetId}: ${slug} stored (${report.count} items, ${report.sizeBytes} bytes)`);
    return this.refreshSummary(teamId, datasetId);
  }

  /** A new file must agree with the ones already there: same count as its split's partner, same image size. */
  private checkAgainstOthers(report: IdxFileReport, slug: FileSlug, files: FileRow[]) {
    const others = files.filter((f) => slugOf(f.role) !== slug).map(reportOf);
    const { split, kind } = FILE_ROLES[slug];
    const partner = others.find((o) => FILE_ROLES[o.role as FileSlug].split === split);
    if (partner && partner.count !== report.count) {
      const [images, labels] = kind === 'images' ? [report.count, partner.count] : [partner.count, report.count];
      throw invalidFile(`${slug}: ${split} split would have ${images} images but ${labels} labels`, {
        problem: 'count-mismatch',
        split,
        images,
        labels,
      });
    }
    const otherImages = others.find((o) => o.kind === 'images');
    if (kind === 'images' && otherImages && (otherImages.dims[1] !== report.dims[1] || otherImages.dims[2] !== report.dims[2])) {
      throw invalidFile(`${slug}: images are ${report.dims[1]}x${report.dims[2]} but ${otherImages.role} are ${otherImages.dims[1]}x${otherImages.dims[2]}`, {
        problem: 'shape-mismatch',
      });
    }
  }

  private async refreshSummary(teamId: string, datasetId: string) {
    const dataset = await this.datasets.get(teamId, datasetId);
    const byRole = Object.fromEntries(dataset.files.map((f) => [f.role, reportOf(f)]));
    if (dataset.files.length === 4) {
      const s = checkMnistConsistency({
        trainImages: byRole.TRAIN_IMAGES,
        trainLabels: byRole.TRAIN_LABELS,
        testImages: byRole.TEST_IMAGES,
        testLabels: byRole.TEST_LABELS,
      });
      // numClasses: the classes that actually occur (labels were checked against 0..9).
      const hist = s.classHistogram.train;
      const numClasses = Math.max(...hist.map((n, i) => (n > 0 ? i + 1 : 0)), ...s.classHistogram.test.map((n, i) => (n > 0 ? i + 1 : 0)));
      await this.datasets.markReady(datasetId, {
        imageShape: s.imageShape,
        numClasses,
        trainCount: s.trainCount,
        testCount: s.testCount,
        classHistogram: hist.slice(0, numClasses),
      });
      return this.datasets.get(teamId, datasetId);
    }
    return dataset;
  }

  /** Streams a stored file back, as uploaded. */
  async download(teamId: string, datasetId: string, slug: string) {
    const spec = fileRole(slug);
    const dataset = await this.datasets.get(teamId, datasetId);
    const file = dataset.files.find((f) => f.role === spec.role);
    if (!file) throw notFound('dataset file', slug);
    return { stream: await this.store.get(file.storageKey), file };
  }
}
