/**
 * The client contract of the API (issue 12): the served schema is schema.graphql, list fields are
 * Relay connections, and subscriptions over graphql-ws carry live progress.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AuthService } from '@trainyard/auth';
import { loadConfig } from '@trainyard/config';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { buildSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { RunningTrainyard, startTrainyard } from '../../apps/trainyard/src/app';
import { TrainyardClient } from '../support/client';
import { realServices } from '../support/services';

jest.setTimeout(180_000);

let trainyard: RunningTrainyard;
let teardown: Array<() => Promise<void>> = [];
let alice: TrainyardClient;

beforeAll(async () => {
  const services = await realServices();
  teardown = [services.teardown];
  trainyard = await startTrainyard(loadConfig({ ...services.env, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test' }));
  teardown.unshift(() => trainyard.close());
  const auth = trainyard.app.get(AuthService);
  alice = new TrainyardClient(trainyard.url).withKey((await auth.createTeam('alice')).apiKey);
});

afterAll(async () => {
  for (const step of teardown) await step().catch((e) => console.error(e));
});

describe('schema.graphql', () => {
  // The standard introspection query nests 15 levels, over the API's depth limit (12): read the
  // schema object the running GraphQL module serves instead.
  it('is the schema the server serves, type for type', async () => {
    const served = printSchema(lexicographicSortSchema(trainyard.app.get(GraphQLSchemaHost).schema));
    const committed = printSchema(lexicographicSortSchema(buildSchema(readFileSync(path.resolve(__dirname, '../../schema.graphql'), 'utf8'))));
    expect(served).toBe(committed);
  });
});
