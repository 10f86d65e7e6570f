export { AppConfig, ConfigError, loadConfig, describeConfig, redactUrl } from './config';
export { APP_CONFIG, ConfigModule } from './config.module';
