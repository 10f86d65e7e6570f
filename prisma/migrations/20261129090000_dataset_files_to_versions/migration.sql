-- Datasets from before versions kept their four idx files in "DatasetFile" and experiments on them had
-- no "datasetVersionId". Each such dataset's files become one idx version (the same stored objects,
-- as its sources), status INGESTING: the workers' start-up requeue (IngestService.requeueUnfinished)
-- ingests it into the internal form, and the experiments and evaluations that used the files point at
-- it. Version 1 when the dataset has no other version, else 0 (so a newer version stays the current one).
CREATE TEMP TABLE "_legacy_dataset" ON COMMIT DROP AS
SELECT d."id" AS "datasetId",
       gen_random_uuid() AS "versionId",
       CASE WHEN EXISTS (SELECT 1 FROM "DatasetVersion" v WHERE v."datasetId" = d."id") THEN 0 ELSE 1 END AS "version"
FROM "Dataset" d
WHERE EXISTS (SELECT 1 FROM "DatasetFile" f WHERE f."datasetId" = d."id");

INSERT INTO "DatasetVersion" ("id", "datasetId", "version", "format", "options", "split", "status", "sampleShape", "createdAt", "updatedAt")
SELECT l."versionId", l."datasetId", l."version", 'idx', '{}'::jsonb, '{}'::jsonb, 'INGESTING'::"DatasetVersionStatus", d."imageShape", d."createdAt", now()
FROM "_legacy_dataset" l JOIN "Dataset" d ON d."id" = l."datasetId";

INSERT INTO "DatasetSource" ("id", "versionId", "name", "storageKey", "status", "expectedBytes", "bytesReceived", "sha256", "details", "createdAt", "updatedAt")
SELECT gen_random_uuid(), l."versionId", lower(replace(f."role"::text, '_', '-')), f."storageKey", 'STORED'::"DatasetSourceStatus", f."sizeBytes", f."sizeBytes", f."sha256",
       jsonb_build_object('count', f."count", 'dims', to_jsonb(array_prepend(f."count", f."dims")), 'gzipped', f."gzipped"), f."createdAt", now()
FROM "_legacy_dataset" l JOIN "DatasetFile" f ON f."datasetId" = l."datasetId";

UPDATE "Experiment" e SET "datasetVersionId" = l."versionId" FROM "_legacy_dataset" l WHERE e."datasetId" = l."datasetId" AND e."datasetVersionId" IS NULL;
UPDATE "Evaluation" e SET "datasetVersionId" = l."versionId" FROM "_legacy_dataset" l WHERE e."datasetId" = l."datasetId" AND e."datasetVersionId" IS NULL;

-- The old columns: nothing reads them any more.
DROP TABLE "DatasetFile";
ALTER TABLE "Dataset" DROP COLUMN "format";
DROP TYPE "DatasetFileRole";
DROP TYPE "DatasetFormat";
