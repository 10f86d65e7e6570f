export { PlatformModule, preparePlatform, prepareForCommand, PreparedPlatform, requireSharedServices, configureHttp } from './platform';
