import { Module } from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard';
import { AuthService } from './auth.service';
import { VisibilityService } from './visibility.service';

@Module({ providers: [AuthService, ApiKeyGuard, VisibilityService], exports: [AuthService, ApiKeyGuard, VisibilityService] })
export class AuthModule {}
