/**
 * The ceiling bench:serve compares serve with: a bare node:http server on the same port scheme that
 * reads each request body, parses its JSON and answers a TF Serving-shaped `predictions` row of ten
 * numbers, with no auth, no model, no batching and no metrics. Whatever a predict server does, it
 * cannot answer faster than this on the same machine, so serve's requests/s divided by this one's is
 * how much of the HTTP + JSON budget serve's own work takes.
 * Run by bench:serve as `node http-ceiling.js <port>`.
 */
import * as http from 'node:http';

const port = Number(process.argv[2] ?? 3141);
const answer = JSON.stringify({ predictions: [[0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.55]] });

http
  .createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}'); // bench:serve's readiness probe
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let ok = false;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { instances?: unknown };
        ok = Array.isArray(body.instances) && body.instances.length > 0;
      } catch {
        ok = false;
      }
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
      res.end(ok ? answer : '{"error":"bad body"}');
    });
  })
  .listen(port, '127.0.0.1', () => console.log(`http-ceiling listening on ${port}`));
