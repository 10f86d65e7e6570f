import { Module } from '@nestjs/common';
import { AuditRepository } from '@trainyard/db';
import { ApiKeyGuard } from './api-key.guard';
import { AuthService } from './auth.service';
import { AuthFailureLimiter } from './failure-limiter';
import { VisibilityService } from './visibility.service';

@Module({
  providers: [AuthService, ApiKeyGuard, AuthFailureLimiter, AuditRepository, VisibilityService],
  exports: [AuthService, ApiKeyGuard, AuthFailureLimiter, AuditRepository, VisibilityService],
})
export class AuthModule {}
