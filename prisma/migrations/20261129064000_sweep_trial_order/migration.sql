-- AlterTable
ALTER TABLE "Experiment" ADD COLUMN     "sweepTrial" INTEGER;

