import { Module } from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard';
import { AuditRepository } from '@trainyard/db';
import { AuthService } from './auth.service';
import { AuthFailureLimiter } from './failure-limiter';

@Module({
  providers: [AuthService, ApiKeyGuard, AuthFailureLimiter, AuditRepository],
  exports: [AuthService, ApiKeyGuard, AuditRepository],
})
export class AuthModule {}
