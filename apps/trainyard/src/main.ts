import { Logger } from '@nestjs/common';
import { loadConfig } from '@trainyard/config';
import { createLogger } from '@trainyard/platform';
import { startTrainyard } from './app';

const config = loadConfig();
Logger.overrideLogger(createLogger(config));
startTrainyard(config, { exitOnSignals: true }).catch((err) => {
  new Logger('Trainyard').error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
