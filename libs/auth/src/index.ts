export { generateApiKey, hashApiKey, bearerToken } from './api-key';
export { AuthService, TeamPrincipal, ApiKeyPrincipal, ApiKeyScope, API_KEY_SCOPES, actorOf } from './auth.service';
export { ApiKeyGuard, CurrentTeam } from './api-key.guard';
export { AuthModule } from './auth.module';
export { AuthFailureLimiter } from './failure-limiter';
