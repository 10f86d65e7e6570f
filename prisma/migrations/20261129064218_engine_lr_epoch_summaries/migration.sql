-- AlterTable
ALTER TABLE "LossPoint" ADD COLUMN     "lr" DOUBLE PRECISION;

-- CreateTable
CREATE TABLE "EpochSummary" (
    "experimentId" UUID NOT NULL,
    "epoch" INTEGER NOT NULL,
    "step" INTEGER NOT NULL,
    "data" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EpochSummary_pkey" PRIMARY KEY ("experimentId","epoch")
);

-- AddForeignKey
ALTER TABLE "EpochSummary" ADD CONSTRAINT "EpochSummary_experimentId_fkey" FOREIGN KEY ("experimentId") REFERENCES "Experiment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

