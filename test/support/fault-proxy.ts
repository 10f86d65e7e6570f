import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultRule {
  /** Which requests it applies to (method and path); all when absent. */
  match?: (req: http.IncomingMessage) => boolean;
  /** How many matching requests it affects; Infinity for an outage. */
  times: number;
  /** 'error': an S3 error response; 'hang': no response at all (a timeout); 'full': 507-style out-of-space. */
  kind: 'error' | 'hang';
  status?: number;
  code?: string;
}

/**
 * A fault-injecting HTTP proxy in front of a real S3 server (s3rver): it forwards every request
 * unless a rule says to answer with an S3 error (503 SlowDown, 500 InternalError, 507...) or to
 * never answer. Counts what it saw, so a test can tell that retries happened.
 */
export class FaultProxy {
  readonly seen: Array<{ method: string; path: string; outcome: string }> = [];
  private rules: FaultRule[] = [];
  private readonly hung = new Set<http.ServerResponse>();
  private constructor(
    private readonly server: http.Server,
    private readonly target: URL,
  ) {}

  static async start(targetEndpoint: string): Promise<FaultProxy> {
    let proxy!: FaultProxy;
    const server = http.createServer((req, res) => proxy.handle(req, res));
    proxy = new FaultProxy(server, new URL(targetEndpoint));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return proxy;
  }

  get endpoint() {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Adds a rule; rules apply in order, each until its count runs out. */
  inject(rule: FaultRule): this {
    this.rules.push({ ...rule });
    return this;
  }

  /** Drops the rules and forgets what it saw. */
  clear(): void {
    this.rules = [];
    this.seen.length = 0;
  }

  count(outcome: string, match?: (s: { method: string; path: string }) => boolean) {
    return this.seen.filter((s) => s.outcome === outcome && (!match || match(s))).length;
  }

  async stop(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const entry = { method: req.method ?? '', path: req.url ?? '' };
    const rule = this.rules.find((r) => r.times > 0 && (!r.match || r.match(req)));
    if (rule) {
      rule.times--;
      if (rule.kind === 'hang') {
        this.seen.push({ ...entry, outcome: 'hang' });
        this.hung.add(res);
        req.resume();
        return;
      }
      const status = rule.status ?? 503;
      const code = rule.code ?? 'SlowDown';
      this.seen.push({ ...entry, outcome: `${status}` });
      req.resume();
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected ${code}</Message><RequestId>fault</RequestId></Error>`);
      });
      return;
    }
    this.seen.push({ ...entry, outcome: 'forwarded' });
    const upstream = http.request(
      { host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}
