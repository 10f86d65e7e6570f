export { generateApiKey, hashApiKey, bearerToken } from './api-key';
export { AuthService, TeamPrincipal, Principal, principalOf, ApiKeyPrincipal, ApiKeyScope, API_KEY_SCOPES, actorOf, checkName } from './auth.service';
export { ApiKeyGuard, CurrentTeam, CurrentPrincipal } from './api-key.guard';
export { AuthModule } from './auth.module';
export { AuthFailureLimiter, SHARED_COUNT_REUSE_MS } from './failure-limiter';
export * from './roles';
export { VisibilityService } from './visibility.service';
