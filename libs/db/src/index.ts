export { PrismaService, DbModuleOptions, DB_OPTIONS } from './prisma/prisma.service';
export { DbModule } from './prisma/db.module';
export { translatePrismaError } from './prisma/prisma-errors';
export { migrate, MigrateOptions, MigrateResult, MigrationFile, readMigrations, findMigrationsDir } from './migrate/migrate';
export { startEmbeddedPostgres, EmbeddedPostgres, EmbeddedPostgresOptions } from './embedded/embedded-postgres';
export * from './repositories';
