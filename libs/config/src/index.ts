export { AppConfig, ConfigError, CONFIG_ENV_VARS, SECRET_ENV_VARS, loadConfig, describeConfig, redactUrl } from './config';
export { APP_CONFIG, ConfigModule } from './config.module';
