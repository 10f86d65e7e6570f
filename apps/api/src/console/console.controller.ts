import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { Public } from '@trainyard/auth';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import type { Request, Response } from 'express';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The web console (apps/console, built by `npm run build:console` into dist/console), served as
 * static files at /console. The files hold no secrets: the console signs in with an API key kept in
 * the browser's session storage. Behind another server, serve dist/console at /console the same way
 * (hashed assets/ cacheable forever, index.html not cached).
 */
@Controller('console')
@Public()
export class ConsoleController {
  private readonly root: string | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.root = consoleDir(config.http.consoleDir);
  }

  @Get(['', '*path'])
  serve(@Req() req: Request, @Res() res: Response): void {
    if (!this.root) {
      res.status(404).json({ error: 'the console is not built: run npm run build:console (npm run build does it too)', code: 'NOT_FOUND' });
      return;
    }
    // /console -> /console/, so the page's relative history and the assets' absolute /console/ agree.
    const rel = req.path.replace(/^\/console\/?/, '');
    if (req.path === '/console') return res.redirect(301, '/console/');
    const file = path.resolve(this.root, rel || 'index.html');
    const inside = file === this.root || file.startsWith(this.root + path.sep);
    if (inside && rel.startsWith('assets/') && isFile(file)) {
      res.sendFile(file, { maxAge: '365d', immutable: true });
      return;
    }
    if (inside && rel && isFile(file)) {
      res.sendFile(file, { maxAge: 0 });
      return;
    }
    if (rel.startsWith('assets/')) {
      res.status(404).json({ error: `no console asset ${rel.slice(0, 80)}`, code: 'NOT_FOUND' });
      return;
    }
    // Any other path is the app (it routes on the URL's hash).
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(path.join(this.root, 'index.html'));
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** CONSOLE_DIR, else dist/console under the repository (found from this file, in dist/ or in source). */
export function consoleDir(configured?: string): string | undefined {
  if (configured) return fs.existsSync(path.join(configured, 'index.html')) ? configured : undefined;
  const candidates: string[] = [];
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) candidates.push(path.join(dir, 'dist', 'console'));
  }
  return candidates.find((c) => fs.existsSync(path.join(c, 'index.html')));
}
