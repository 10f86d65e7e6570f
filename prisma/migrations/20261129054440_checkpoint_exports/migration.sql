-- CreateEnum
CREATE TYPE "ExportFormat" AS ENUM ('ONNX');

-- CreateEnum
CREATE TYPE "ExportStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED');

-- CreateTable
CREATE TABLE "CheckpointExport" (
    "id" UUID NOT NULL,
    "checkpointId" UUID NOT NULL,
    "format" "ExportFormat" NOT NULL,
    "status" "ExportStatus" NOT NULL DEFAULT 'QUEUED',
    "storageKey" TEXT,
    "sizeBytes" INTEGER,
    "sha256" TEXT,
    "opsetVersion" INTEGER,
    "maxAbsDiff" DOUBLE PRECISION,
    "failureReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "CheckpointExport_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "CheckpointExport_checkpointId_format_key" ON "CheckpointExport"("checkpointId", "format");

-- AddForeignKey
ALTER TABLE "CheckpointExport" ADD CONSTRAINT "CheckpointExport_checkpointId_fkey" FOREIGN KEY ("checkpointId") REFERENCES "Checkpoint"("id") ON DELETE CASCADE ON UPDATE CASCADE;

