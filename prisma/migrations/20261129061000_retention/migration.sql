-- AlterTable
ALTER TABLE "Team" ADD COLUMN     "retentionKeepNewest" INTEGER;

-- CreateTable
CREATE TABLE "ArtifactDeletion" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "prefix" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ArtifactDeletion_pkey" PRIMARY KEY ("id")
);

