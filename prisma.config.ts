// Prisma CLI configuration. Prisma 6 with the JavaScript schema engine ("js") and the pg driver
// adapter: no engine binary is downloaded, so everything works without internet.
//
// - `prisma generate`, `prisma validate`, `prisma migrate diff --from-... --to-schema-datamodel`
//   need no database at all (see OfflinePg below).
// - `prisma migrate deploy` / `migrate status` connect to DATABASE_URL (needs patches/ applied:
//   patch-package runs on postinstall).
// The app itself applies migrations on start (libs/db/src/migrate); the CLI is for people.
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

const databaseUrl = process.env.DATABASE_URL;
// Prisma 6 validates `url = env("DATABASE_URL")` in the schema even for offline commands and, when
// that fails, falls back to downloading the query engine. A placeholder keeps them offline; nothing
// ever connects to it (the adapter below uses the real value or refuses).
process.env.DATABASE_URL ??= 'postgresql://unset@127.0.0.1:1/unset';

type Connection = Awaited<ReturnType<PrismaPg['connect']>>;

const NO_URL =
  'DATABASE_URL is not set: this prisma command needs a database, e.g. DATABASE_URL=postgresql://postgres@127.0.0.1:5432/trainyard';

/**
 * Used when DATABASE_URL is unset. The js schema engine opens a connection even for
 * `migrate diff` between files and asks only for the server version; this answers that one probe
 * (as PostgreSQL 15, what we run) and refuses anything else with a clear line.
 */
class OfflinePg extends PrismaPg {
  override async connect(): Promise<Connection> {
    const refuse = async (): Promise<never> => {
      console.error(NO_URL); // the schema engine reports thrown adapter errors only as "External error"
      throw new Error(NO_URL);
    };
    return {
      provider: 'postgres',
      adapterName: this.adapterName,
      async queryRaw(query) {
        if (query.sql.includes("current_setting('server_version_num')")) {
          // exists(schema): Boolean(5), version(): Text(7), numeric_version: Int32(0)
          return { columnNames: ['exists', 'version', 'numeric_version'], columnTypes: [5, 7, 0], rows: [[true, 'PostgreSQL 15', 150000]] };
        }
        return refuse();
      },
      executeRaw: refuse,
      executeScript: refuse,
      startTransaction: refuse,
      dispose: async () => undefined,
      getConnectionInfo: () => ({ schemaName: 'public', supportsRelationJoins: true }),
    };
  }
  override connectToShadowDb(): Promise<never> {
    console.error(NO_URL);
    throw new Error(NO_URL);
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'prisma', 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'prisma', 'migrations') },
  async adapter() {
    return databaseUrl ? new PrismaPg({ connectionString: databaseUrl }) : new OfflinePg({});
  },
});
