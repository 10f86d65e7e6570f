import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { ApiKeyGuard, AuthModule, AuthService } from '@trainyard/auth';
import { subscriptionServer, SubscriptionExtra } from './graphql/subscriptions';
import { AppConfig } from '@trainyard/config';
import {
  ArtifactDeletionRepository,
  CheckpointExportRepository,
  CheckpointRepository,
  DatasetRepository,
  DatasetVersionRepository,
  DeploymentRepository,
  EvaluationRepository,
  ExperimentRepository,
  SweepRepository,
} from '@trainyard/db';
import { ChartsController } from './charts/charts.controller';
import { ChartsService } from './charts/charts.service';
import { CheckpointController } from './datasets/checkpoint.controller';
import { DatasetFileController, DatasetVersionController } from './datasets/dataset-file.controller';
import { DatasetResolver } from './datasets/dataset.resolver';
import { DatasetService } from './datasets/dataset.service';
import { DeploymentResolver } from './deployments/deployment.resolver';
import { EvaluationResolver } from './evaluations/evaluation.resolver';
import { EvaluationService } from './evaluations/evaluation.service';
import { DeploymentService } from './deployments/deployment.service';
import { ExperimentResolver } from './experiments/experiment.resolver';
import { CheckpointExportController } from './exports/export.controller';
import { CheckpointExportResolver } from './exports/export.resolver';
import { CheckpointExportService } from './exports/export.service';
import { ExperimentService } from './experiments/experiment.service';
import { FineTuneService } from './experiments/fine-tune.service';
import { RerunService } from './experiments/rerun.service';
import { RetentionResolver } from './retention/retention.resolver';
import { RetentionService } from './retention/retention.service';
import { SweepResolver } from './sweeps/sweep.resolver';
import { SweepService } from './sweeps/sweep.service';
import { TeamResolver } from './teams/team.resolver';
import { AuditResolver } from './audit/audit.resolver';
import { Loaders } from './graphql/loaders';
import { DEFAULT_QUERY_LIMITS, MAX_TOKENS, queryLimitsRule } from './graphql/query-limits';
import { PeopleService } from './people/people.service';
import { CourseResolver } from './courses/course.resolver';
import { CourseService } from './courses/course.service';
import { CourseRuns } from './courses/course-runs.service';
import { HiddenSplits } from './assignments/hidden-splits.service';
import { AssignmentResolver } from './assignments/assignment.resolver';
import { AssignmentService } from './assignments/assignment.service';
import { GradesController } from './assignments/grades.controller';

/**
 * The GraphQL API (/graphql) and the REST routes GraphQL serves badly: dataset file uploads and
 * checkpoint downloads, streamed. Infrastructure (config, db, storage, queue) comes from the
 * process's root module.
 */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    const development = config.env !== 'production';
    return {
      module: ApiModule,
      imports: [
        AuthModule,
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          imports: [AuthModule],
          inject: [AuthService],
          useFactory: (auth: AuthService): ApolloDriverConfig => ({
            path: '/graphql',
            autoSchemaFile: true,
            sortSchema: true,
            introspection: development,
            includeStacktraceInErrorResponses: false,
            // Edge limits before execution: tokens at parse time, then depth, aliases and cost.
            parseOptions: { maxTokens: MAX_TOKENS },
            validationRules: [queryLimitsRule(DEFAULT_QUERY_LIMITS)],
            // graphql-js quotes bad values in its own messages (a 1 MB string sent as an Int): cut them short.
            formatError: (formatted) =>
              formatted.message.length > 300 ? { ...formatted, message: `${formatted.message.slice(0, 300)}… (truncated)` } : formatted,
            // HTTP: the request. graphql-ws: a fresh copy of the connection's stand-in request (see onConnect) per
            // operation, so ApiKeyGuard authenticates each subscription and the role checks work as for queries.
            context: ({ req, extra }: { req?: unknown; extra?: SubscriptionExtra }) => ({ req: req ?? (extra?.trainyardRequest && { ...extra.trainyardRequest }) }),
            // Field resolvers (Experiment.lossPoints...) throw coded errors too: map them as root fields' are.
            fieldResolverEnhancers: ['filters'],
            subscriptions: { 'graphql-ws': subscriptionServer(auth, queryLimitsRule(DEFAULT_QUERY_LIMITS)) },
          }),
        }),
      ],
      controllers: [DatasetFileController, DatasetVersionController, CheckpointController, CheckpointExportController, ChartsController, GradesController],
      providers: [
        // Every GraphQL operation and REST route: authenticate, then check the declared minimum role.
        { provide: APP_GUARD, useExisting: ApiKeyGuard },
        PeopleService,
        CourseService,
        CourseRuns,
        CourseResolver,
        HiddenSplits,
        AssignmentService,
        AssignmentResolver,
        DatasetRepository,
        DatasetVersionRepository,
        ExperimentRepository,
        CheckpointRepository,
        DeploymentRepository,
        CheckpointExportRepository,
        CheckpointExportService,
        CheckpointExportResolver,
        DatasetService,
        ExperimentService,
        TeamResolver,
        DatasetResolver,
        ExperimentResolver,
        DeploymentService,
        DeploymentResolver,
        EvaluationRepository,
        EvaluationService,
        EvaluationResolver,
        FineTuneService,
        RerunService,
        ArtifactDeletionRepository,
        RetentionService,
        RetentionResolver,
        ChartsService,
        SweepRepository,
        SweepService,
        SweepResolver,
        AuditResolver,
        Loaders,
      ],
    };
  }
}
