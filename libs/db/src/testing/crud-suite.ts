import { ErrorCode, TrainyardError } from '@trainyard/common';
import { Prisma } from '../generated/prisma/client';
import { translatePrismaError } from '../prisma/prisma-errors';
import { PrismaService } from '../prisma/prisma.service';

/** Writes through PrismaService what every Postgres we support must store and give back. */
export async function exerciseCrud(prisma: PrismaService): Promise<{ teamId: string; experimentId: string }> {
  const team = await prisma.team.create({ data: { name: `team-${Date.now()}-${Math.random()}` } });
  const user = await prisma.user.create({ data: { name: 'ci' } });
  await prisma.membership.create({ data: { teamId: team.id, userId: user.id, role: 'OWNER' } });
  const key = await prisma.apiKey.create({ data: { teamId: team.id, userId: user.id, name: 'ci', prefix: 'ty_abc', secretHash: `h-${team.id}` } });
  expect(key.revokedAt).toBeNull();

  const dataset = await prisma.dataset.create({
    data: { teamId: team.id, name: 'mnist', imageShape: [28, 28, 1], classHistogram: [5923, 6742, 5958] },
  });
  expect(dataset).toMatchObject({ status: 'PENDING', imageShape: [28, 28, 1], classHistogram: [5923, 6742, 5958] });

  const spec = { model: 'lenet5', optimizer: { name: 'sgd', learningRate: 0.01, momentum: 0.9 }, epochs: 2, layers: [1, 'two', null] };
  const experiment = await prisma.experiment.create({ data: { teamId: team.id, datasetId: dataset.id, name: 'first', spec } });
  expect((await prisma.experiment.findUniqueOrThrow({ where: { id: experiment.id } })).spec).toEqual(spec);

  // an interactive transaction: reads and writes on tx commit together...
  await prisma.$transaction(async (tx) => {
    const e = await tx.experiment.update({ where: { id: experiment.id }, data: { status: 'RUNNING', attempt: { increment: 1 } } });
    await tx.lossPoint.createMany({ data: [1, 2, 3].map((step) => ({ experimentId: e.id, step, epoch: 0, loss: 2 / step })) });
  });
  // ...and roll back together
  await expect(
    prisma.$transaction(async (tx) => {
      await tx.experiment.update({ where: { id: experiment.id }, data: { epoch: 99 } });
      throw new Error('abandon');
    }),
  ).rejects.toThrow('abandon');
  const after = await prisma.experiment.findUniqueOrThrow({ where: { id: experiment.id }, include: { losses: true } });
  expect(after).toMatchObject({ status: 'RUNNING', attempt: 1, epoch: 0 });
  expect(after.losses.map((l) => l.loss).sort()).toEqual([2 / 3, 1, 2]);

  // concurrent requests (queued on the embedded server) all complete
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      i % 2
        ? prisma.experiment.update({ where: { id: experiment.id }, data: { step: { increment: 1 } } })
        : prisma.$transaction(async (tx) => {
            await tx.lossPoint.create({ data: { experimentId: experiment.id, step: 100 + i, epoch: 1, loss: i } });
            await tx.experiment.update({ where: { id: experiment.id }, data: { totalSteps: { increment: 1 } } });
          }),
    ),
  );
  expect(await prisma.experiment.findUniqueOrThrow({ where: { id: experiment.id } })).toMatchObject({ step: 10, totalSteps: 10 });

  // unique violations and missing rows become coded errors
  const duplicate = await prisma.dataset.create({ data: { teamId: team.id, name: 'mnist' } }).catch((e: unknown) => e);
  expect(duplicate).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
  const conflict = translatePrismaError(duplicate) as TrainyardError;
  expect(conflict).toBeInstanceOf(TrainyardError);
  expect(conflict.code).toBe(ErrorCode.CONFLICT);
  expect(conflict.message).toBe('a dataset with this name already exists');
  const keyConflict = translatePrismaError(
    await prisma.apiKey.create({ data: { teamId: team.id, userId: user.id, name: 'x', prefix: 'p', secretHash: key.secretHash } }).catch((e: unknown) => e),
  ) as TrainyardError;
  expect(keyConflict.message).toBe('an API key with this secret hash already exists');
  const missing = translatePrismaError(
    await prisma.experiment.update({ where: { id: '00000000-0000-0000-0000-000000000000' }, data: { epoch: 1 } }).catch((e: unknown) => e),
  ) as TrainyardError;
  expect(missing.code).toBe(ErrorCode.NOT_FOUND);
  expect(translatePrismaError(new Error('other'))).toEqual(new Error('other'));

  return { teamId: team.id, experimentId: experiment.id };
}
