import { Logger } from '@nestjs/common';
import { loadConfig } from '@trainyard/config';
import { startTrainyard } from './app';

startTrainyard(loadConfig()).catch((err) => {
  new Logger('Trainyard').error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
