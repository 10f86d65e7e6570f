-- CreateEnum
CREATE TYPE "TeamKind" AS ENUM ('TEAM', 'COURSE');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER', 'INSTRUCTOR', 'ASSISTANT', 'STUDENT');

-- CreateEnum
CREATE TYPE "MetricDirection" AS ENUM ('MAXIMIZE', 'MINIMIZE');

-- CreateEnum
CREATE TYPE "SubmissionStatus" AS ENUM ('QUEUED', 'RUNNING', 'SCORED', 'FAILED', 'CANCELLED');

-- AlterTable
ALTER TABLE "Team" ADD COLUMN     "groupSizeLimit" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "kind" "TeamKind" NOT NULL DEFAULT 'TEAM',
ADD COLUMN     "rosterLockAt" TIMESTAMP(3);


-- AlterTable
ALTER TABLE "Experiment" ADD COLUMN     "userId" UUID;

-- CreateTable
CREATE TABLE "User" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Membership" (
    "teamId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "role" "Role" NOT NULL,
    "groupId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Membership_pkey" PRIMARY KEY ("teamId","userId")
);

-- CreateTable
CREATE TABLE "JoinCode" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "codeHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'STUDENT',
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "maxUses" INTEGER NOT NULL,
    "uses" INTEGER NOT NULL DEFAULT 0,
    "createdBy" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "JoinCode_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StudentGroup" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StudentGroup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Assignment" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "datasetId" UUID NOT NULL,
    "primaryMetric" TEXT NOT NULL,
    "direction" "MetricDirection" NOT NULL DEFAULT 'MAXIMIZE',
    "allowedModels" TEXT[],
    "maxEpochs" INTEGER,
    "maxParams" INTEGER,
    "opensAt" TIMESTAMP(3) NOT NULL,
    "deadline" TIMESTAMP(3) NOT NULL,
    "lateWindowSeconds" INTEGER NOT NULL DEFAULT 0,
    "latePenalty" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "publicFraction" DOUBLE PRECISION NOT NULL DEFAULT 0.3,
    "splitSeed" INTEGER NOT NULL,
    "privateRevealAt" TIMESTAMP(3) NOT NULL,
    "maxFinalPicks" INTEGER NOT NULL DEFAULT 2,
    "scoreDigits" INTEGER NOT NULL DEFAULT 4,
    "ladder" BOOLEAN NOT NULL DEFAULT false,
    "ladderMargin" DOUBLE PRECISION NOT NULL DEFAULT 0.01,
    "dailyLimit" INTEGER,
    "totalLimit" INTEGER,
    "concurrentLimit" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Assignment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Extension" (
    "assignmentId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "deadline" TIMESTAMP(3) NOT NULL,
    "grantedBy" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Extension_pkey" PRIMARY KEY ("assignmentId","userId")
);

-- CreateTable
CREATE TABLE "Submission" (
    "id" UUID NOT NULL,
    "assignmentId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "groupId" UUID,
    "checkpointId" UUID NOT NULL,
    "experimentId" UUID NOT NULL,
    "status" "SubmissionStatus" NOT NULL DEFAULT 'QUEUED',
    "failureReason" TEXT,
    "late" BOOLEAN NOT NULL DEFAULT false,
    "final" BOOLEAN NOT NULL DEFAULT false,
    "publicScore" DOUBLE PRECISION,
    "privateScore" DOUBLE PRECISION,
    "publicShown" DOUBLE PRECISION,
    "metrics" JSONB,
    "scoredAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Submission_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScoreAudit" (
    "id" UUID NOT NULL,
    "submissionId" UUID NOT NULL,
    "actorUserId" UUID,
    "reason" TEXT NOT NULL,
    "oldPublic" DOUBLE PRECISION,
    "oldPrivate" DOUBLE PRECISION,
    "newPublic" DOUBLE PRECISION,
    "newPrivate" DOUBLE PRECISION,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ScoreAudit_pkey" PRIMARY KEY ("id")
);

-- Backfill (hand-written): every existing team gets an owner user; its existing keys become that
-- user's keys, so they keep working with owner rights.
ALTER TABLE "ApiKey" ADD COLUMN "userId" UUID;
INSERT INTO "User" (id, name, "createdAt")
  SELECT t.id, t.name || ' owner', t."createdAt" FROM "Team" t;
INSERT INTO "Membership" ("teamId", "userId", role, "createdAt")
  SELECT t.id, t.id, 'OWNER', t."createdAt" FROM "Team" t;
UPDATE "ApiKey" SET "userId" = "teamId";
ALTER TABLE "ApiKey" ALTER COLUMN "userId" SET NOT NULL;

-- CreateIndex
CREATE INDEX "Membership_groupId_idx" ON "Membership"("groupId");

-- CreateIndex
CREATE UNIQUE INDEX "JoinCode_codeHash_key" ON "JoinCode"("codeHash");

-- CreateIndex
CREATE INDEX "JoinCode_teamId_idx" ON "JoinCode"("teamId");

-- CreateIndex
CREATE UNIQUE INDEX "StudentGroup_teamId_name_key" ON "StudentGroup"("teamId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Assignment_teamId_name_key" ON "Assignment"("teamId", "name");

-- CreateIndex
CREATE INDEX "Submission_assignmentId_userId_idx" ON "Submission"("assignmentId", "userId");

-- CreateIndex
CREATE INDEX "Submission_assignmentId_groupId_idx" ON "Submission"("assignmentId", "groupId");

-- CreateIndex
CREATE INDEX "ScoreAudit_submissionId_idx" ON "ScoreAudit"("submissionId");

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "StudentGroup"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "JoinCode" ADD CONSTRAINT "JoinCode_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StudentGroup" ADD CONSTRAINT "StudentGroup_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Assignment" ADD CONSTRAINT "Assignment_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Extension" ADD CONSTRAINT "Extension_assignmentId_fkey" FOREIGN KEY ("assignmentId") REFERENCES "Assignment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Submission" ADD CONSTRAINT "Submission_assignmentId_fkey" FOREIGN KEY ("assignmentId") REFERENCES "Assignment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ScoreAudit" ADD CONSTRAINT "ScoreAudit_submissionId_fkey" FOREIGN KEY ("submissionId") REFERENCES "Submission"("id") ON DELETE CASCADE ON UPDATE CASCADE;

