-- AlterTable
ALTER TABLE "Submission" ADD COLUMN     "scoreRound" INTEGER NOT NULL DEFAULT 0;

