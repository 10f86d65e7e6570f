import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ApiKeyScope, AuthService, CurrentPrincipal, CurrentTeam, Principal, RequireRole, Role, TeamPrincipal } from '@trainyard/auth';
import { CreatedApiKey, Team } from '../graphql/types';
import { ApiKeyInfo, Member, NewMember, RoleName, TeamKindName, Whoami } from '../people/people.types';
import { PeopleService } from '../people/people.service';

type MemberRow = Awaited<ReturnType<PeopleService['members']>>[number];
const toMember = (m: MemberRow): Member => ({
  user: { id: m.user.id, name: m.user.name },
  role: m.role as RoleName,
  groupId: m.groupId,
  joinedAt: m.createdAt,
});

/** Teams, their members and roles, and API keys. Every operation declares its minimum role. */
@Resolver(() => Team)
export class TeamResolver {
  constructor(
    private readonly auth: AuthService,
    private readonly people: PeopleService,
  ) {}

  @Query(() => Team, { description: 'The team whose API key made this call.' })
  @RequireRole('viewer')
  me(@CurrentTeam() team: TeamPrincipal): Team {
    return { id: team.id, name: team.name };
  }

  @Query(() => Whoami, { description: "The key's user, team (or course) and role." })
  @RequireRole('viewer')
  whoami(@CurrentPrincipal() p: Principal): Whoami {
    return { user: p.user, teamId: p.team.id, teamName: p.team.name, teamKind: p.team.kind as TeamKindName, role: p.role as RoleName };
  }

  @Query(() => [Member], { description: 'Everyone in the team or course, with their roles (admins and assistants up).' })
  @RequireRole('admin')
  async members(@CurrentPrincipal() p: Principal) {
    return (await this.people.members(p)).map(toMember);
  }

  @Mutation(() => NewMember, { description: 'Adds a user with a role (at most your own) and returns their first key, once.' })
  @RequireRole('admin')
  async addMember(@CurrentPrincipal() p: Principal, @Args('name') name: string, @Args('role', { type: () => RoleName }) role: RoleName) {
    const m = await this.people.addMember(p, name, role as Role);
    return { ...m, user: { id: m.user.id, name: m.user.name }, role: m.role as RoleName };
  }

  @Mutation(() => Member, { description: "Changes a member's role. Not your own, not above your own, not of someone ranked above you." })
  @RequireRole('admin')
  async setMemberRole(
    @CurrentPrincipal() p: Principal,
    @Args('userId', { type: () => ID }) userId: string,
    @Args('role', { type: () => RoleName }) role: RoleName,
  ) {
    return toMember(await this.people.setRole(p, userId, role as Role));
  }

  @Mutation(() => Boolean, { description: 'Removes a member; their keys stop working at once.' })
  @RequireRole('admin')
  removeMember(@CurrentPrincipal() p: Principal, @Args('userId', { type: () => ID }) userId: string) {
    return this.people.remove(p, userId);
  }

  @Query(() => [ApiKeyInfo], { description: 'Your keys (no secrets). allKeys: every key of the team (admins and owners).' })
  @RequireRole('viewer')
  async apiKeys(@CurrentPrincipal() p: Principal, @Args('allKeys', { defaultValue: false }) allKeys: boolean) {
    return (await this.people.apiKeys(p, allKeys)).map((k) => ({
      id: k.id,
      name: k.name,
      prefix: k.prefix,
      userId: k.userId,
      createdAt: k.createdAt,
      lastUsedAt: k.lastUsedAt,
      revokedAt: k.revokedAt,
    }));
  }

  @Mutation(() => CreatedApiKey, {
    description:
      'A new key for you (same user, same role), returned once. scope "predict" makes a key for an application: predict routes only, and with models only those models.',
  })
  @RequireRole('viewer')
  createApiKey(
    @CurrentPrincipal() p: Principal,
    @Args('name') name: string,
    @Args('scope', { nullable: true, defaultValue: 'admin', description: 'admin or predict' }) scope: string,
    @Args('models', { type: () => [String], nullable: true }) models?: string[],
  ) {
    return this.people.createApiKey(p, name, { scope: scope as ApiKeyScope, models: models ?? [] });
  }

  @Mutation(() => Boolean, { description: 'Revokes one of your keys (admins and owners: any key of the team); true if it was active.' })
  @RequireRole('viewer')
  revokeApiKey(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    return /^[0-9a-f-]{36}$/i.test(id) ? this.auth.revokeApiKey(p, id) : false;
  }
}
