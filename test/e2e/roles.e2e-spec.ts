/**
 * People and roles on the real API (Postgres, Redis, s3rver): every GraphQL operation of the live
 * schema called with every role of a team and of a course, each allowed or refused as declared
 * (@RequireRole, default 'member'); the rules around roles; keys as digests; old team keys.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { AuthService, declaredRole, MIN_LEVEL, ROLE_LEVEL, Role } from '@trainyard/auth';
import { loadConfig } from '@trainyard/config';
import { findMigrationsDir, migrate } from '@trainyard/db';
import { createFreshDatabase } from '../../libs/db/src/testing/fresh-database';
import { startTrainyard } from '../../apps/trainyard/src/app';
import { TrainyardClient } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { sweepOperations } from '../support/sweep';

jest.setTimeout(120_000);

let e2e: E2e;
let anonymous: TrainyardClient;
const team: Partial<Record<Role, TrainyardClient>> = {};
const course: Partial<Record<Role, TrainyardClient>> = {};
const ids: Partial<Record<string, string>> = {};

const ADD = `mutation($n: String!, $r: Role!) { addMember(name: $n, role: $r) { user { id name } role apiKey } }`;

beforeAll(async () => {
  // The sweep calls every operation without a key from one address on purpose: lift the failed-auth
  // limit (AuthFailureLimiter, tested in security.e2e-spec) above what the sweep sends.
  e2e = await startE2e({ TRAINYARD_ROLES: 'api,serve', AUTH_FAILURES_PER_MINUTE: '100000' });
  anonymous = new TrainyardClient(e2e.url);
  const auth = e2e.app.get(AuthService);
  team.OWNER = anonymous.withKey((await auth.createTeam('sweep-team')).apiKey);
  for (const r of ['ADMIN', 'MEMBER', 'VIEWER'] as const) {
    const { addMember } = await team.OWNER.data(ADD, { n: `team ${r.toLowerCase()}`, r });
    team[r] = anonymous.withKey(addMember.apiKey);
    ids[`team-${r}`] = addMember.user.id;
  }
  course.INSTRUCTOR = anonymous.withKey((await auth.createTeam('sweep-course', { kind: 'COURSE' })).apiKey);
  for (const r of ['ASSISTANT', 'STUDENT'] as const) {
    const { addMember } = await course.INSTRUCTOR.data(ADD, { n: `course ${r.toLowerCase()}`, r });
    course[r] = anonymous.withKey(addMember.apiKey);
    ids[`course-${r}`] = addMember.user.id;
  }
});

afterAll(() => e2e?.close());

describe('the role sweep', () => {
  it('calls every operation of the live schema with every role, each allowed or refused as declared', async () => {
    const ops = await sweepOperations(team.OWNER!);
    expect(ops.length).toBeGreaterThan(25);
    const verdicts: string[] = [];
    const wrong: string[] = [];
    for (const op of ops) {
      const declared = declaredRole(op.name);
      // Without a key: only public operations get past the guard.
      const anon = await anonymous.gql(op.query, op.variables);
      const anonCode = anon.errors?.[0]?.extensions?.code;
      if (declared === 'public' ? anonCode === 'UNAUTHENTICATED' : anonCode !== 'UNAUTHENTICATED') wrong.push(`${op.name} without a key: ${anonCode}`);
      if (declared === 'public') continue;
      for (const [where, clients] of [['team', team], ['course', course]] as const) {
        for (const [role, client] of Object.entries(clients) as Array<[Role, TrainyardClient]>) {
          const r = await client.gql(op.query, op.variables);
          // The guard's refusals carry the required role; a service's own FORBIDDEN (a rule) does not.
          const refused = r.errors?.some((e) => e.extensions?.code === 'FORBIDDEN' && (e.extensions as any).required) ?? false;
          const expected = ROLE_LEVEL[role] < MIN_LEVEL[declared];
          if (refused !== expected) wrong.push(`${op.name} as ${where} ${role}: ${refused ? 'refused' : 'allowed'}, declared ${declared}; ${JSON.stringify(r.errors?.[0])}`);
          if (r.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) wrong.push(`${op.name} as ${role}: key no longer works`);
          verdicts.push(`${op.name}/${role}/${refused ? 'no' : 'yes'}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    // Refusals really happen, and the default for unannotated operations ('member') holds viewers out.
    expect(verdicts).toContain('members/MEMBER/no');
    expect(verdicts).toContain('members/ADMIN/yes');
    expect(verdicts).toContain('submitExperiment/VIEWER/no');
    expect(verdicts).toContain('submitExperiment/STUDENT/yes');
    expect(verdicts).toContain('createJoinCode/ASSISTANT/no');
    expect(verdicts).toContain('createJoinCode/INSTRUCTOR/yes');
  });

  it('checks roles on REST routes too', async () => {
    const viewerUpload = await team.VIEWER!.upload('00000000-0000-4000-8000-000000000000', 'train-labels', Buffer.from([0]));
    expect(viewerUpload.status).toBe(403);
    expect(viewerUpload.body.code).toBe('FORBIDDEN');
    expect(viewerUpload.body.error).toMatch(/needs the member role or higher; this key's user is viewer/);
    const memberUpload = await team.MEMBER!.upload('00000000-0000-4000-8000-000000000000', 'train-labels', Buffer.from([0]));
    expect(memberUpload.status).toBe(404);
    const viewerDownload = await team.VIEWER!.get('/v1/checkpoints/00000000-0000-4000-8000-000000000000');
    expect(viewerDownload.status).toBe(404); // viewers may read: the guard let it through
    expect((await anonymous.get('/v1/checkpoints/00000000-0000-4000-8000-000000000000')).status).toBe(401);
  });
});

describe('role rules', () => {
  const SET = `mutation($u: ID!, $r: Role!) { setMemberRole(userId: $u, role: $r) { role } }`;

  it('refuses a student raising their own role, and an assistant raising themselves or granting instructor', async () => {
    const student = await course.STUDENT!.gql(SET, { u: ids['course-STUDENT'], r: 'INSTRUCTOR' });
    expect(student.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const selfRaise = await course.ASSISTANT!.gql(SET, { u: ids['course-ASSISTANT'], r: 'ASSISTANT' });
    expect(selfRaise.errors?.[0].message).toMatch(/your own membership/);
    const grant = await course.ASSISTANT!.gql(SET, { u: ids['course-STUDENT'], r: 'INSTRUCTOR' });
    expect(grant.errors?.[0].message).toMatch(/cannot grant INSTRUCTOR/);
    const teamRoleInCourse = await course.INSTRUCTOR!.gql(SET, { u: ids['course-STUDENT'], r: 'ADMIN' });
    expect(teamRoleInCourse.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await course.STUDENT!.data(`{ whoami { role teamKind } }`)).whoami).toEqual({ role: 'STUDENT', teamKind: 'COURSE' });
  });

  it('lets an admin change a member below them, never an owner', async () => {
    const { setMemberRole } = await team.ADMIN!.data(SET, { u: ids['team-VIEWER'], r: 'MEMBER' });
    expect(setMemberRole.role).toBe('MEMBER');
    expect((await team.VIEWER!.data(`{ whoami { role } }`)).whoami.role).toBe('MEMBER');
    await team.ADMIN!.data(SET, { u: ids['team-VIEWER'], r: 'VIEWER' });
    const owner = (await team.OWNER!.data(`{ whoami { user { id } } }`)).whoami.user.id;
    const demote = await team.ADMIN!.gql(SET, { u: owner, r: 'VIEWER' });
    expect(demote.errors?.[0].message).toMatch(/cannot change a owner/);
  });

  it("stops a removed member's keys at once, and scopes key revocation to one's own keys", async () => {
    const { addMember } = await team.OWNER!.data(ADD, { n: 'leaver', r: 'MEMBER' });
    const leaver = anonymous.withKey(addMember.apiKey);
    const { createApiKey } = await leaver.data(`mutation { createApiKey(name: "second") { id apiKey } }`);
    const ownerKeys = (await team.OWNER!.data(`{ apiKeys { id } }`)).apiKeys;
    expect((await leaver.data(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: ownerKeys[0].id })).revokeApiKey).toBe(false);
    expect((await leaver.data(`{ apiKeys { name } }`)).apiKeys.map((k: any) => k.name)).toEqual(['default', 'second']);
    await team.OWNER!.data(`mutation($u: ID!) { removeMember(userId: $u) }`, { u: addMember.user.id });
    for (const key of [addMember.apiKey, createApiKey.apiKey]) {
      expect((await anonymous.withKey(key).gql(`{ whoami { role } }`)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('stores every key and join code only as a digest', async () => {
    const prisma = e2e.app.get((await import('@trainyard/db')).PrismaService);
    const keys = await prisma.apiKey.findMany();
    for (const k of keys) expect(k.secretHash).toMatch(/^[0-9a-f]{64}$/);
    const all = JSON.stringify(await prisma.apiKey.findMany()) + JSON.stringify(await prisma.user.findMany());
    expect(all).not.toContain(team.OWNER!.apiKey!.slice(16));
  });
});

describe('keys from before users existed', () => {
  it('keep working after the migration, as keys of the team owner', async () => {
    const db = await createFreshDatabase('trainyard_roles_migrate');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ty-migrations-'));
    try {
      const all = findMigrationsDir();
      const first = fs.readdirSync(all).filter((d) => /^\d{14}_/.test(d)).sort()[0];
      fs.cpSync(path.join(all, first), path.join(dir, first), { recursive: true });
      await migrate(db.url, { migrationsDir: dir });
      const { generateApiKey } = await import('@trainyard/auth');
      const old = generateApiKey();
      const pg = new Client({ connectionString: db.url });
      await pg.connect();
      const teamId = (await pg.query(`INSERT INTO "Team" (id, name) VALUES (gen_random_uuid(), 'legacy') RETURNING id`)).rows[0].id;
      await pg.query(`INSERT INTO "ApiKey" (id, "teamId", name, prefix, "secretHash") VALUES (gen_random_uuid(), $1, 'default', $2, $3)`, [teamId, old.prefix, old.secretHash]);
      await pg.end();
      await migrate(db.url);
      const legacy = await startTrainyard(loadConfig({ DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test', TRAINYARD_ROLES: 'api', TRAINYARD_DATA_DIR: dir }));
      try {
        const r = await new TrainyardClient(legacy.url, old.key).data(`{ whoami { role teamName user { name } } me { id } }`);
        expect(r.whoami).toEqual({ role: 'OWNER', teamName: 'legacy', user: { name: 'legacy owner' } });
        expect(r.me.id).toBe(teamId);
      } finally {
        await legacy.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await db.drop();
    }
  });
});
