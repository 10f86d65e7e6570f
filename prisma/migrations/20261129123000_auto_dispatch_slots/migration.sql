-- Courses may take their fair-share slots from the live workers' training slots.
ALTER TABLE "Team" ADD COLUMN     "autoDispatchSlots" BOOLEAN NOT NULL DEFAULT false;

-- Workers that take training jobs report themselves here.
CREATE TABLE "WorkerHeartbeat" (
    "id" TEXT NOT NULL,
    "trainingSlots" INTEGER NOT NULL,
    "seenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WorkerHeartbeat_pkey" PRIMARY KEY ("id")
);
