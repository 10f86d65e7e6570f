import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { redactSecrets } from '../logging/redact';

/** One readiness check: resolves when the dependency answers, throws (or times out) when it does not. */
export type ReadinessCheck = () => Promise<unknown>;

export interface CheckResult {
  ok: boolean;
  ms: number;
  error?: string;
}

export interface Readiness {
  status: 'ok' | 'unavailable';
  /** True once the process began shutting down: it finishes what it has and takes nothing new. */
  draining: boolean;
  checks: Record<string, CheckResult>;
}

/** A check that has not answered by then counts as failed, so a probe always gets its answer in time. */
export const CHECK_TIMEOUT_MS = 3_000;

/**
 * Liveness and readiness of this process. Readiness is a registry of named checks: the platform
 * registers the database, Redis (when configured) and the artifact store; a feature adds its own
 * (serve: its deployments). Served at GET /healthz and /readyz by HTTP processes, and by the worker's
 * own probe server.
 */
@Injectable()
export class HealthService {
  private readonly logger = new Logger('Health');
  private readonly checks = new Map<string, ReadinessCheck>();
  private drainingSince?: number;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  register(name: string, check: ReadinessCheck): void {
    if (this.checks.has(name)) throw new Error(`readiness check "${name}" is registered twice`);
    this.checks.set(name, check);
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  /** From now on readiness fails: load balancers and the orchestrator stop sending work here. */
  startDraining(): void {
    this.drainingSince ??= Date.now();
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** Liveness: the event loop answers. Deliberately checks nothing else (a database outage must not restart every pod). */
  live(): { status: 'ok'; uptimeSeconds: number } {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  async ready(): Promise<Readiness> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await this.run(name, check)] as const),
    );
    const checks = Object.fromEntries(entries);
    const ok = !this.draining && entries.every(([, r]) => r.ok);
    return { status: ok ? 'ok' : 'unavailable', draining: this.draining, checks };
  }

  private async run(name: string, check: ReadinessCheck): Promise<CheckResult> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        check(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
        }),
      ]);
      return { ok: true, ms: Date.now() - started };
    } catch (err) {
      const message = redactSecrets((err instanceof Error ? err.message : String(err)).slice(0, 200));
      this.logger.warn(`readiness check ${name} failed: ${message}`);
      // Production hides internals from an unauthenticated route; the log line above has them.
      return { ok: false, ms: Date.now() - started, error: this.config.env === 'production' ? 'unavailable' : message };
    } finally {
      clearTimeout(timer);
    }
  }
}
