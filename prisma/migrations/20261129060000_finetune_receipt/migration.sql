-- AlterTable
ALTER TABLE "Experiment" ADD COLUMN     "baseCheckpointId" UUID,
ADD COLUMN     "frozenLayers" TEXT[],
ADD COLUMN     "receipt" JSONB;

