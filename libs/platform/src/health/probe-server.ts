import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { HealthService } from './health.service';

/**
 * A small HTTP server for a process that has no other (the worker): GET /healthz, /readyz and
 * /metrics, answered from the same HealthService and metrics registry the HTTP processes use.
 */
export async function startProbeServer(health: HealthService, metrics: MetricsRegistry, port: number, host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'application/json', JSON.stringify({ error: 'only GET', code: 'BAD_USER_INPUT' }));
    const answer = async () => {
      if (path === '/healthz') return send(200, 'application/json', JSON.stringify(health.live()));
      if (path === '/readyz') {
        const r = await health.ready();
        return send(r.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(r));
      }
      if (path === '/metrics') return send(200, metrics.contentType, await metrics.metrics());
      send(404, 'application/json', JSON.stringify({ error: `no route ${path.slice(0, 64)}; try /healthz, /readyz, /metrics`, code: 'NOT_FOUND' }));
    };
    answer().catch((err: Error) => send(500, 'application/json', JSON.stringify({ error: err.message.slice(0, 200), code: 'INTERNAL' })));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
