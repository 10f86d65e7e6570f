-- CreateEnum
CREATE TYPE "BatchPredictionStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED');

-- CreateEnum
CREATE TYPE "PredictionFileFormat" AS ENUM ('JSONL', 'CSV');

-- CreateTable
CREATE TABLE "BatchPrediction" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "userId" UUID,
    "checkpointId" UUID NOT NULL,
    "modelName" TEXT,
    "modelVersion" INTEGER,
    "datasetId" UUID NOT NULL,
    "datasetVersionId" UUID NOT NULL,
    "split" TEXT NOT NULL,
    "format" "PredictionFileFormat" NOT NULL,
    "topK" INTEGER NOT NULL,
    "status" "BatchPredictionStatus" NOT NULL DEFAULT 'QUEUED',
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "processed" INTEGER NOT NULL DEFAULT 0,
    "total" INTEGER,
    "storageKey" TEXT,
    "sizeBytes" INTEGER,
    "failureReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "BatchPrediction_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "BatchPrediction_teamId_createdAt_idx" ON "BatchPrediction"("teamId", "createdAt");

-- CreateIndex
CREATE INDEX "BatchPrediction_checkpointId_idx" ON "BatchPrediction"("checkpointId");

-- AddForeignKey
ALTER TABLE "BatchPrediction" ADD CONSTRAINT "BatchPrediction_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BatchPrediction" ADD CONSTRAINT "BatchPrediction_checkpointId_fkey" FOREIGN KEY ("checkpointId") REFERENCES "Checkpoint"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BatchPrediction" ADD CONSTRAINT "BatchPrediction_datasetVersionId_fkey" FOREIGN KEY ("datasetVersionId") REFERENCES "DatasetVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

