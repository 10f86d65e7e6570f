-- AlterTable
ALTER TABLE "Assignment" ADD COLUMN     "datasetVersionId" UUID;

