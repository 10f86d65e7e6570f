import { Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import type { AppConfig } from '@trainyard/config';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { ApiModule } from '../api.module';

/** Where the committed schema lives, relative to the repository root. */
export const SCHEMA_FILE = 'schema.graphql';

/**
 * Every class the API module provides: the same set Nest's resolver explorer hands the schema
 * builder for the served schema (it takes all providers and keeps those with resolver metadata).
 */
export function apiResolvers(): Type[] {
  const providers = ApiModule.forRoot({ env: 'development' } as AppConfig).providers ?? [];
  return providers.filter((p): p is Type => typeof p === 'function');
}

/**
 * The API's GraphQL schema built from the code (resolvers and their types), without a database or
 * an HTTP server: what the served /graphql exposes (code-first, sorted as `sortSchema` sorts it).
 */
export async function buildApiSchema(): Promise<GraphQLSchema> {
  const app = await NestFactory.create(GraphQLSchemaBuilderModule, { logger: false });
  try {
    await app.init();
    const schema = await app.get(GraphQLSchemaFactory).create(apiResolvers());
    return lexicographicSortSchema(schema);
  } finally {
    await app.close();
  }
}

const HEADER = [
  '# Trainyard GraphQL API: the contract for clients (SDK, CLI, console).',
  '# Printed from the code by `npm run schema:print`; do not edit by hand.',
].join('\n');

/** The schema as committed: a fixed header, then graphql-js's printSchema of the sorted schema. */
export async function printApiSchema(): Promise<string> {
  const schema = await buildApiSchema();
  return `${HEADER}\n\n${printSchema(schema)}\n`;
}
