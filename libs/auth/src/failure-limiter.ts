import { Inject, Injectable, Optional } from '@nestjs/common';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';

const WINDOW_MS = 60_000;
/** Addresses remembered at once; the oldest are forgotten first (a flood of addresses cannot grow memory). */
const MAX_ADDRESSES = 50_000;

/**
 * Failed authentications per client address, in fixed one-minute windows: past
 * AUTH_FAILURES_PER_MINUTE an address gets RATE_LIMITED (429, Retry-After) until its window ends,
 * even with a valid key, so keys cannot be guessed at speed. Kept in this process's memory: with N
 * API replicas an address gets up to N times the limit.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();
  private readonly limit: number;

  constructor(@Optional() @Inject(APP_CONFIG) config?: AppConfig, @Optional() private readonly now: () => number = Date.now) {
    this.limit = config?.http?.authFailuresPerMinute ?? 20;
  }

  /** Throws RATE_LIMITED when the address used up its failures in the current window. */
  check(address: string | undefined): void {
    if (!address) return;
    const w = this.current(address);
    if (w && w.failures >= this.limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((w.start + WINDOW_MS - this.now()) / 1000));
      throw new TrainyardError(ErrorCode.RATE_LIMITED, `too many failed authentications from this address; retry in ${retryAfterSeconds} s`, {
        retryAfterSeconds,
      });
    }
  }

  fail(address: string | undefined): void {
    if (!address) return;
    const w = this.current(address);
    if (w) {
      w.failures++;
      return;
    }
    this.windows.delete(address);
    this.windows.set(address, { start: this.now(), failures: 1 });
    if (this.windows.size > MAX_ADDRESSES) this.windows.delete(this.windows.keys().next().value!);
  }

  private current(address: string) {
    const w = this.windows.get(address);
    if (w && this.now() - w.start < WINDOW_MS) return w;
    if (w) this.windows.delete(address);
    return undefined;
  }
}
