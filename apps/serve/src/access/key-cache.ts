import { Inject, Injectable } from '@nestjs/common';
import { AuthService, hashApiKey, TeamPrincipal } from '@trainyard/auth';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { TtlCache } from '../inference/ttl-cache';

const unauthenticated = (why: string) => new TrainyardError(ErrorCode.UNAUTHENTICATED, why);
const KEY_PATTERN = /^ty_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/;

/**
 * API keys as serving sees them: looked up by their SHA-256 digest (the key itself is never kept),
 * re-read at most once per SERVE_CACHE_TTL_MS; an entry older than twice that is never used, so a
 * revoked key stops working on every serve process within about a second.
 */
@Injectable()
export class KeyCache {
  private readonly cache: TtlCache<string, TeamPrincipal>;

  constructor(auth: AuthService, @Inject(APP_CONFIG) config: AppConfig) {
    const ttl = config.serve.cacheTtlMs;
    this.cache = new TtlCache<string, TeamPrincipal>((digest) => auth.authenticateDigest(digest), ttl, 2 * ttl);
  }

  authenticate(key: string | undefined): Promise<TeamPrincipal> {
    if (!key) return Promise.reject(unauthenticated('missing API key: send "Authorization: Bearer <key>"'));
    if (!KEY_PATTERN.test(key)) return Promise.reject(unauthenticated('malformed API key'));
    return this.cache.get(hashApiKey(key));
  }
}
