/** @jest-environment ./test/support/onnx-environment.js */
// The export job against real parts: a fresh Postgres database (migrated), a local-folder artifact
// store in a temp dir, the in-process queue. Covers idempotence, redelivery, failures and retries.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Test } from '@nestjs/testing';
import { onnx } from 'onnx-proto';
import { loadConfig } from '@trainyard/config';
import { CheckpointExportRepository, DbModule, migrate, PrismaService } from '@trainyard/db';
import { buildModel, buildOptimizer, initBackend, loadOnnxRuntime, saveCheckpoint } from '@trainyard/engine';
import { InProcessQueue, JOB_RELEASED, JobContext } from '@trainyard/queue';
import { LocalArtifactStore, keys } from '@trainyard/storage';
import { createFreshDatabase, FreshDatabase } from '../../../../libs/db/src/testing/fresh-database';
import { ExportService } from './export.service';
import { withHandlers } from '../../../../libs/queue/src/testing';

jest.setTimeout(60_000);

let db: FreshDatabase;
let close: () => Promise<void>;
let prisma: PrismaService;
let repo: CheckpointExportRepository;
let store: LocalArtifactStore;
let queue: InProcessQueue;
let service: ExportService;
let storeDir: string;
const ctx: JobContext = { jobId: 'j', attemptsMade: 0, lastTry: false, shutdown: new AbortController().signal };

beforeAll(async () => {
  db = await createFreshDatabase('trainyard_export');
  await migrate(db.url);
  const moduleRef = await Test.createTestingModule({ imports: [DbModule.forRoot({ databaseUrl: db.url })] }).compile();
  await moduleRef.init();
  close = () => moduleRef.close();
  prisma = moduleRef.get(PrismaService);
  repo = new CheckpointExportRepository(prisma);
  storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ty-export-'));
  store = new LocalArtifactStore(storeDir);
  await store.init();
  queue = new InProcessQueue();
  service = new ExportService(loadConfig({ TRAINYARD_BACKEND: 'wasm' }), store, repo, queue);
  await initBackend('wasm');
});

afterAll(async () => {
  await queue.close();
  await close();
  await db.drop();
  fs.rmSync(storeDir, { recursive: true, force: true });
});

let seq = 0;
/** A team, dataset, experiment and one stored LeNet-5 checkpoint. */
async function checkpoint(bytes?: Uint8Array) {
  const n = ++seq;
  const team = await prisma.team.create({ data: { name: `team-${n}-${Date.now()}` } });
  const dataset = await prisma.dataset.create({ data: { teamId: team.id, name: 'd', imageShape: [28, 28, 1] } });
  const experiment = await prisma.experiment.create({ data: { teamId: team.id, datasetId: dataset.id, name: 'e', spec: {} } });
  const modelSpec = { name: 'lenet5' as const, inputShape: [32, 32, 1] as [number, number, number], numClasses: 10, seed: n };
  const optimizerSpec = { name: 'Momentum' as const, learningRate: 0.01, momentum: 0.9 };
  const data = bytes ?? (await saveCheckpoint(buildModel(modelSpec), buildOptimizer(optimizerSpec), { step: 3, epoch: 0, stepInEpoch: 3, modelSpec, optimizerSpec }));
  const key = keys.checkpoint(team.id, experiment.id, 3);
  await store.put(key, data);
  const c = await prisma.checkpoint.create({ data: { experimentId: experiment.id, step: 3, epoch: 0, storageKey: key, sizeBytes: data.byteLength } });
  return { team, experiment, checkpoint: c, key };
}

describe('CheckpointExportRepository.request', () => {
  it('makes one export per checkpoint and format, even for concurrent requests; a FAILED one is replaced', async () => {
    const { checkpoint: c } = await checkpoint();
    const results = await Promise.all([1, 2, 3, 4].map(() => repo.request(c.id, 'ONNX')));
    expect(new Set(results.map((r) => r.row.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await prisma.checkpointExport.count({ where: { checkpointId: c.id } })).toBe(1);

    const id = results[0].row.id;
    expect(await repo.fail(id, 'boom')).toBe(true);
    expect(await repo.fail(id, 'again')).toBe(false); // finished rows do not move
    const retry = await repo.request(c.id, 'ONNX');
    expect(retry.created).toBe(true);
    expect(retry.row.id).not.toBe(id);
    expect(await prisma.checkpointExport.findMany({ where: { checkpointId: c.id }, select: { id: true, status: true } })).toEqual([{ id: retry.row.id, status: 'QUEUED' }]);
  });
});

describe('ExportService.handle', () => {
  it('stores the ONNX file, then records it SUCCEEDED with its size, checksum and measured difference', async () => {
    const { team, experiment, checkpoint: c } = await checkpoint();
    const { row } = await repo.request(c.id, 'ONNX');
    expect(await service.handle({ exportId: row.id }, ctx)).toBe('succeeded');
    const done = await prisma.checkpointExport.findUniqueOrThrow({ where: { id: row.id } });
    const key = keys.checkpointExport(team.id, experiment.id, c.id, 'onnx');
    expect(done).toMatchObject({ status: 'SUCCEEDED', storageKey: key, opsetVersion: 13, failureReason: null });
    expect(done.maxAbsDiff).toBeLessThan(1e-4);
    const bytes = await store.getBytes(key);
    expect(done.sizeBytes).toBe(bytes.byteLength);
    expect(done.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const meta = Object.fromEntries(onnx.ModelProto.decode(bytes).metadataProps.map((m) => [m.key, m.value]));
    expect(meta).toMatchObject({ input_layout: 'NHWC', checkpoint_id: c.id, experiment_id: experiment.id, step: '3', output: 'logits' });
    expect(JSON.parse(meta.model_spec)).toMatchObject({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10 });
    const rt = await loadOnnxRuntime(bytes);
    expect(rt.inputShape).toEqual([null, 32, 32, 1]);
    await rt.dispose();

    expect((await repo.findSucceeded(c.id, 'ONNX'))?.id).toBe(row.id);

    // A second delivery leaves the finished export alone.
    const before = done.updatedAt;
    expect(await service.handle({ exportId: row.id }, ctx)).toBe('already-finished');
    expect((await prisma.checkpointExport.findUniqueOrThrow({ where: { id: row.id } })).updatedAt).toEqual(before);
  });

  it('a redelivery after a crash mid-export (row RUNNING) finishes it, writing the same bytes', async () => {
    const { checkpoint: c } = await checkpoint();
    const { row } = await repo.request(c.id, 'ONNX');
    expect(await service.handle({ exportId: row.id }, ctx)).toBe('succeeded');
    const first = await prisma.checkpointExport.findUniqueOrThrow({ where: { id: row.id } });
    await prisma.checkpointExport.update({ where: { id: row.id }, data: { status: 'RUNNING' } });
    expect(await service.handle({ exportId: row.id }, ctx)).toBe('succeeded');
    const second = await prisma.checkpointExport.findUniqueOrThrow({ where: { id: row.id } });
    expect(second.sha256).toBe(first.sha256); // deterministic export: same checkpoint, same file
  });

  it('an unreadable checkpoint fails at once with the reason; a store outage is retried, then fails on the last try', async () => {
    const bad = await checkpoint(new TextEncoder().encode('garbage'));
    const { row } = await repo.request(bad.checkpoint.id, 'ONNX');
    expect(await service.handle({ exportId: row.id }, ctx)).toBe('failed');
    const failed = await prisma.checkpointExport.findUniqueOrThrow({ where: { id: row.id } });
    expect(failed).toMatchObject({ status: 'FAILED', storageKey: null });
    expect(failed.failureReason).toMatch(/^invalid checkpoint: /);
    expect(await repo.findSucceeded(bad.checkpoint.id, 'ONNX')).toBeNull();

    const gone = await checkpoint();
    await store.delete(gone.key); // bytes missing: an I/O error, worth a retry
    const e = (await repo.request(gone.checkpoint.id, 'ONNX')).row;
    await expect(service.handle({ exportId: e.id }, ctx)).rejects.toThrow();
    expect((await prisma.checkpointExport.findUniqueOrThrow({ where: { id: e.id } })).status).toBe('RUNNING');
    expect(await service.handle({ exportId: e.id }, { ...ctx, attemptsMade: 4, lastTry: true })).toBe('failed');
    const last = await prisma.checkpointExport.findUniqueOrThrow({ where: { id: e.id } });
    expect(last.status).toBe('FAILED');
    expect(last.failureReason).toMatch(/^gave up after repeated errors: /);
  });

  it('a worker shutting down gives the job back before starting it', async () => {
    const { checkpoint: c } = await checkpoint();
    const { row } = await repo.request(c.id, 'ONNX');
    const stopping = new AbortController();
    stopping.abort();
    expect(await service.handle({ exportId: row.id }, { ...ctx, shutdown: stopping.signal })).toBe(JOB_RELEASED);
    expect((await prisma.checkpointExport.findUniqueOrThrow({ where: { id: row.id } })).status).toBe('QUEUED');
  });

  it('an export whose checkpoint was deleted is not found (the row went with it)', async () => {
    const { checkpoint: c } = await checkpoint();
    const { row } = await repo.request(c.id, 'ONNX');
    await prisma.checkpoint.delete({ where: { id: c.id } });
    expect(await service.handle({ exportId: row.id }, ctx)).toBe('not-found');
  });

  it('requeueUnfinished hands QUEUED exports to the queue, which runs them', async () => {
    const { checkpoint: c } = await checkpoint();
    const { row } = await repo.request(c.id, 'ONNX');
    const outcomes: string[] = [];
    await queue.start(
      withHandlers({
        exportCheckpoint: async (p, jobCtx) => {
          const o = await service.handle(p, jobCtx);
          outcomes.push(`${p.exportId}:${o}`);
          return o;
        },
      }),
    );
    await service.requeueUnfinished();
    for (let i = 0; i < 100 && !outcomes.includes(`${row.id}:succeeded`); i++) await new Promise((r) => setTimeout(r, 100));
    expect(outcomes).toContain(`${row.id}:succeeded`);
  });
});
