-- AlterEnum
ALTER TYPE "ExperimentStatus" ADD VALUE 'PAUSED';

-- AlterTable
ALTER TABLE "Team" ADD COLUMN     "computeBudgetSeconds" INTEGER,
ADD COLUMN     "maxConcurrentRuns" INTEGER;

-- AlterTable
ALTER TABLE "Membership" ADD COLUMN     "computeBudgetSeconds" INTEGER;

-- AlterTable
ALTER TABLE "Experiment" ADD COLUMN     "computeSeconds" DOUBLE PRECISION NOT NULL DEFAULT 0;

