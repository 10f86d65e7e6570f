-- CreateEnum
CREATE TYPE "SweepStrategy" AS ENUM ('GRID', 'RANDOM');

-- AlterTable
ALTER TABLE "Experiment" ADD COLUMN     "sweepId" UUID,
ADD COLUMN     "sweepParams" JSONB;

-- CreateTable
CREATE TABLE "Sweep" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "strategy" "SweepStrategy" NOT NULL,
    "space" JSONB NOT NULL,
    "budget" INTEGER NOT NULL,
    "metric" TEXT NOT NULL,
    "maximize" BOOLEAN NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Sweep_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Sweep_teamId_createdAt_idx" ON "Sweep"("teamId", "createdAt");

-- AddForeignKey
ALTER TABLE "Experiment" ADD CONSTRAINT "Experiment_sweepId_fkey" FOREIGN KEY ("sweepId") REFERENCES "Sweep"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Sweep" ADD CONSTRAINT "Sweep_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

