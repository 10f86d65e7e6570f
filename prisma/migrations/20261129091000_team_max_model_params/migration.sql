-- AlterTable: a team's limit on a model's parameter count (null: the engine's default, 50,000,000).
ALTER TABLE "Team" ADD COLUMN     "maxModelParams" INTEGER;
