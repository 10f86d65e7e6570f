export { PlatformModule, preparePlatform, prepareForCommand, PreparedPlatform, requireSharedServices, configureHttp } from './platform';
export { HealthModule } from './health/health.module';
export { HealthService, ReadinessCheck, Readiness } from './health/health.service';
export { startProbeServer } from './health/probe-server';
export { MetricsRegistry } from './metrics/metrics.registry';
export { TrainyardLogger, createLogger } from './logging/trainyard-logger';
export { withLogContext, currentLogContext, LogFields } from './logging/log-context';
export { redactSecrets, registerSecret, registerUrlSecret } from './logging/redact';
export { drainAndClose, exitOnSignals, closeHttpServer } from './shutdown';
