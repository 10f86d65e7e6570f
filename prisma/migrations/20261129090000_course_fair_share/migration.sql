-- Course fair share (admission in Postgres), assignment time zones, sweep owners.
ALTER TABLE "Team" ADD COLUMN "dispatchSlots" INTEGER NOT NULL DEFAULT 4,
                   ADD COLUMN "staffRunsFirst" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "Membership" ADD COLUMN "lastDispatchedAt" TIMESTAMP(3);
ALTER TABLE "Experiment" ADD COLUMN "admittedAt" TIMESTAMP(3);
-- Runs already queued or running keep their place: they count as admitted.
UPDATE "Experiment" SET "admittedAt" = "createdAt" WHERE status IN ('QUEUED', 'RUNNING');
CREATE INDEX "Experiment_teamId_status_admittedAt_idx" ON "Experiment"("teamId", status, "admittedAt");
ALTER TABLE "Assignment" ADD COLUMN "timeZone" TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE "Sweep" ADD COLUMN "userId" UUID;
