-- CreateEnum
CREATE TYPE "DatasetVersionStatus" AS ENUM ('UPLOADING', 'INGESTING', 'READY', 'FAILED');

-- CreateEnum
CREATE TYPE "DatasetSourceStatus" AS ENUM ('RECEIVING', 'STORED', 'FAILED');

-- AlterTable
ALTER TABLE "Experiment" ADD COLUMN     "datasetVersionId" UUID;

-- CreateTable
CREATE TABLE "DatasetVersion" (
    "id" UUID NOT NULL,
    "datasetId" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "format" TEXT NOT NULL,
    "options" JSONB NOT NULL,
    "split" JSONB NOT NULL,
    "status" "DatasetVersionStatus" NOT NULL DEFAULT 'UPLOADING',
    "failureReason" TEXT,
    "storagePrefix" TEXT,
    "index" JSONB,
    "sampleShape" INTEGER[],
    "numClasses" INTEGER,
    "trainCount" INTEGER,
    "testCount" INTEGER,
    "validationCount" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "readyAt" TIMESTAMP(3),

    CONSTRAINT "DatasetVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DatasetSource" (
    "id" UUID NOT NULL,
    "versionId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "storageKey" TEXT NOT NULL,
    "status" "DatasetSourceStatus" NOT NULL DEFAULT 'RECEIVING',
    "expectedBytes" BIGINT NOT NULL DEFAULT 0,
    "bytesReceived" BIGINT NOT NULL DEFAULT 0,
    "sha256" TEXT,
    "details" JSONB,
    "multipartUploadId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DatasetSource_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "DatasetVersion_datasetId_version_key" ON "DatasetVersion"("datasetId", "version");

-- CreateIndex
CREATE UNIQUE INDEX "DatasetSource_versionId_name_key" ON "DatasetSource"("versionId", "name");

-- AddForeignKey
ALTER TABLE "DatasetVersion" ADD CONSTRAINT "DatasetVersion_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DatasetSource" ADD CONSTRAINT "DatasetSource_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "DatasetVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Experiment" ADD CONSTRAINT "Experiment_datasetVersionId_fkey" FOREIGN KEY ("datasetVersionId") REFERENCES "DatasetVersion"("id") ON DELETE SET NULL ON UPDATE CASCADE;

