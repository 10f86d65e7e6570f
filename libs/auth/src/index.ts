export { generateApiKey, hashApiKey, bearerToken } from './api-key';
export { AuthService, TeamPrincipal, Principal, checkName } from './auth.service';
export { ApiKeyGuard, CurrentTeam, CurrentPrincipal } from './api-key.guard';
export { AuthModule } from './auth.module';
export * from './roles';
export { VisibilityService } from './visibility.service';
