import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

export interface DbModuleOptions {
  /** postgresql:// URL of a real server or of startEmbeddedPostgres(). */
  databaseUrl: string;
  /** Most connections this process opens (pg Pool max). Default 10. */
  poolSize?: number;
}

export const DB_OPTIONS = Symbol('DB_OPTIONS');

/**
 * The Prisma client, over @prisma/adapter-pg (no Prisma engine binaries). Connects when the module
 * starts and disconnects when it stops. Repositories inject this; nothing else talks to Prisma.
 *
 * Interactive transactions ($transaction(async (tx) => ...)) must use `tx` inside: on the embedded
 * Postgres an open transaction holds the one session, so a query on `this` inside it waits until
 * the transaction times out.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnModuleDestroy {
  constructor(@Inject(DB_OPTIONS) options: DbModuleOptions) {
    super({
      adapter: new PrismaPg({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 }),
      // Generous waits: on the embedded Postgres transactions queue behind each other.
      transactionOptions: { maxWait: 10_000, timeout: 15_000 },
    });
  }

  async onModuleInit(): Promise<void> {
    await this.$connect();
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
