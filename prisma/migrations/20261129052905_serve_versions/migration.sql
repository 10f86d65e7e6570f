-- DropIndex
DROP INDEX "Deployment_teamId_name_key";

-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "models" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "scope" TEXT NOT NULL DEFAULT 'admin';

-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "deployedBy" TEXT,
ADD COLUMN     "deployedByKeyId" UUID,
ADD COLUMN     "maxBatchSize" INTEGER NOT NULL DEFAULT 64,
ADD COLUMN     "maxBatchWaitMs" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 1;

-- CreateTable
CREATE TABLE "ServedModel" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "defaultVersion" INTEGER,
    "previousDefaultVersion" INTEGER,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "splitVersion" INTEGER,
    "splitPercent" INTEGER NOT NULL DEFAULT 0,
    "nextVersion" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ServedModel_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ServedModel_teamId_name_key" ON "ServedModel"("teamId", "name");

-- Existing deployments become version 1 of a served model of the same name, and its default.
INSERT INTO "ServedModel" ("id", "teamId", "name", "defaultVersion", "nextVersion", "updatedAt")
SELECT gen_random_uuid(), "teamId", "name", 1, 2, CURRENT_TIMESTAMP FROM "Deployment";

-- CreateIndex
CREATE UNIQUE INDEX "Deployment_teamId_name_version_key" ON "Deployment"("teamId", "name", "version");

-- AddForeignKey
ALTER TABLE "ServedModel" ADD CONSTRAINT "ServedModel_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deployment" ADD CONSTRAINT "Deployment_teamId_name_fkey" FOREIGN KEY ("teamId", "name") REFERENCES "ServedModel"("teamId", "name") ON DELETE CASCADE ON UPDATE CASCADE;

