import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum RoleName {
  OWNER = 'OWNER',
  ADMIN = 'ADMIN',
  MEMBER = 'MEMBER',
  VIEWER = 'VIEWER',
  INSTRUCTOR = 'INSTRUCTOR',
  ASSISTANT = 'ASSISTANT',
  STUDENT = 'STUDENT',
}
registerEnumType(RoleName, {
  name: 'Role',
  description: 'Teams: OWNER > ADMIN > MEMBER > VIEWER. Courses: INSTRUCTOR (as OWNER) > ASSISTANT (as ADMIN) > STUDENT (as MEMBER).',
});

export enum TeamKindName {
  TEAM = 'TEAM',
  COURSE = 'COURSE',
}
registerEnumType(TeamKindName, { name: 'TeamKind' });

@ObjectType()
export class User {
  @Field(() => ID) id: string;
  @Field() name: string;
}

@ObjectType({ description: "A user's place in a team or course." })
export class Member {
  @Field(() => User) user: User;
  @Field(() => RoleName) role: RoleName;
  @Field(() => ID, { nullable: true, description: 'Courses: the student group, if any.' }) groupId?: string | null;
  @Field() joinedAt: Date;
}

@ObjectType({ description: 'The caller: the key\'s user, its team (or course) and role there.' })
export class Whoami {
  @Field(() => User) user: User;
  @Field(() => ID) teamId: string;
  @Field() teamName: string;
  @Field(() => TeamKindName) teamKind: TeamKindName;
  @Field(() => RoleName) role: RoleName;
}

@ObjectType({ description: 'A new member and their first key. The key is shown once: only its digest is stored.' })
export class NewMember {
  @Field(() => User) user: User;
  @Field(() => RoleName) role: RoleName;
  @Field(() => ID) teamId: string;
  @Field() teamName: string;
  @Field() apiKey: string;
}

@ObjectType({ description: 'An API key, without its secret.' })
export class ApiKeyInfo {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field() prefix: string;
  @Field(() => ID) userId: string;
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true }) lastUsedAt?: Date | null;
  @Field(() => Date, { nullable: true }) revokedAt?: Date | null;
}
