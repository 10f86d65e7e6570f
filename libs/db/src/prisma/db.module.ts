import { DynamicModule, Global, Module } from '@nestjs/common';
import { DB_OPTIONS, DbModuleOptions, PrismaService } from './prisma.service';

/** Global: PrismaService for every module. Migrations are applied before, by migrate(). */
@Global()
@Module({})
export class DbModule {
  static forRoot(options: DbModuleOptions): DynamicModule {
    return {
      module: DbModule,
      providers: [{ provide: DB_OPTIONS, useValue: options }, PrismaService],
      exports: [PrismaService],
    };
  }
}
