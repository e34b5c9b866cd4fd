// notes_cluster.js — the Node original of the cluster half of examples/notes/notes_cluster.cpp:
// a primary forks 4 processes that share one port (Node's cluster hands the connections out),
// then sends the requests itself and prints how many each process served. (Node's worker
// threads cannot share a listening port before Node 23's reusePort, which is why the C++
// example's thread half has no Node twin here.)
// The time printed is the client's: the requests one after the other, a new connection each.
// Run: node notes_cluster.js [requests=40] [workers=4]
'use strict';
const cluster = require('cluster');
const http = require('http');

const requests = Number(process.argv[2] || 40);
const workers = Number(process.argv[3] || 4);

if (cluster.isPrimary) {
  let listening = 0;
  let port = 0;
  cluster.on('listening', (worker, address) => {
    port = address.port;
    if (++listening < workers) return;
    (async () => {
      const t0 = Date.now();
      const counts = {};
      for (let i = 0; i < requests; i++) {
        const who = await new Promise((resolve, reject) => {
          http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve(body));
          }).on('error', reject);
        });
        counts[who] = (counts[who] || 0) + 1;
      }
      for (const [who, n] of Object.entries(counts)) console.log(`  ${who}: ${n} requests`);
      console.log(`cluster: ${requests} requests over ${Object.keys(counts).length} processes ` +
                  `in ${Date.now() - t0} ms`);
      for (const id in cluster.workers) cluster.workers[id].kill();
    })();
  });
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  http.createServer((req, res) => res.end(`process ${process.pid}`)).listen(0, '127.0.0.1');
}
