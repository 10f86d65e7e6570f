import { Module } from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard';
import { AuthService } from './auth.service';

@Module({ providers: [AuthService, ApiKeyGuard], exports: [AuthService, ApiKeyGuard] })
export class AuthModule {}
