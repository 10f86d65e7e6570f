-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "owner" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Experiment" ADD COLUMN     "requestDigest" TEXT;

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "actorKeyId" UUID,
    "actorKeyPrefix" TEXT,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "details" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AuditEvent_teamId_createdAt_idx" ON "AuditEvent"("teamId", "createdAt");

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Data: each existing team's oldest key (the one team:create printed) becomes its owner key.
UPDATE "ApiKey" SET "owner" = true
 WHERE id IN (SELECT DISTINCT ON ("teamId") id FROM "ApiKey" ORDER BY "teamId", "createdAt", id);
