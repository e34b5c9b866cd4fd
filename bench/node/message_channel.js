// bench/node/message_channel.js — the workloads of bench/message_channel_bench.cpp in Node:
// a MessageChannel between the main thread and a worker (the worker gets port2 in its
// transfer list and serves it with port.on('message')).
//
//   round trip      main posts an int, the worker echoes it; time per round trip
//   one-way         main posts a batch of small ints, the worker acks the batch; msgs/s
//   payload clone   postMessage(buf): structured clone of N bytes; the worker acks with an int
//   payload transfer postMessage(buf, [buf]); the worker transfers it back as the ack
//   payload share   a SharedArrayBuffer; the worker acks with an int
//   memcpy          Uint8Array.prototype.set of N bytes into a preallocated buffer (baseline)
//
// Usage: node bench/node/message_channel.js   (Node 20; no dependencies)
'use strict';

const { Worker, MessageChannel, isMainThread, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');

if (!isMainThread) {
  const { port } = workerData;
  let n = 0;
  port.on('message', (m) => {
    switch (m.kind) {
      case 'echo': port.postMessage(m.v + 1); break;
      case 'batch':
        if (++n === m.batch) { n = 0; port.postMessage(0); }
        break;
      case 'clone': port.postMessage(m.buf.byteLength); break;
      case 'transfer': port.postMessage({ buf: m.buf }, [m.buf]); break;
      case 'share': port.postMessage(m.sab.byteLength); break;
      case 'stop': port.close(); break;
    }
  });
  return;
}

function once(port) {
  return new Promise((resolve) => port.once('message', resolve));
}

// Runs `step` (async) repeatedly for at least `minMs` and at least `minIters` times.
async function measure(step, minMs = 300, minIters = 3) {
  await step();  // warm-up
  let iters = 0;
  const start = performance.now();
  let now = start;
  while (iters < minIters || now - start < minMs) {
    await step();
    ++iters;
    now = performance.now();
  }
  return (now - start) / iters;  // ms per step
}

function fmtTime(ms) {
  if (ms < 1e-3) return `${(ms * 1e6).toFixed(0)} ns`;
  if (ms < 1) return `${(ms * 1e3).toFixed(2)} us`;
  return `${ms.toFixed(2)} ms`;
}

function fmtRate(perSecond, unit) {
  const scales = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [s, p] of scales) if (perSecond >= s) return `${(perSecond / s).toFixed(2)} ${p}${unit}/s`;
  return `${perSecond.toFixed(2)} ${unit}/s`;
}

async function main() {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(__filename, { workerData: { port: port2 }, transferList: [port2] });
  const rows = [];

  // Round trip.
  {
    let v = 0;
    const ms = await measure(async () => {
      for (let i = 0; i < 1000; ++i) {
        const reply = once(port1);
        port1.postMessage({ kind: 'echo', v });
        v = await reply;
      }
    });
    rows.push(['round trip', '', fmtTime(ms / 1000), fmtRate(1000 / (ms / 1000), ' msg')]);
  }

  // One-way throughput.
  {
    const batch = 1 << 14;
    const ms = await measure(async () => {
      const ack = once(port1);
      for (let i = 0; i < batch; ++i) port1.postMessage({ kind: 'batch', batch, v: i });
      await ack;
    });
    rows.push(['one-way', '', fmtTime(ms / batch), fmtRate(batch / (ms / 1000), ' msg')]);
  }

  // Payloads.
  const sizes = [1 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20];
  for (const bytes of sizes) {
    const label = bytes >= 1 << 20 ? `${bytes >> 20} MiB` : `${bytes >> 10} KiB`;
    const src = new Uint8Array(bytes);
    for (let i = 0; i < bytes; ++i) src[i] = (i * 131) & 0xff;

    const clone = await measure(async () => {
      const ack = once(port1);
      port1.postMessage({ kind: 'clone', buf: src.buffer });
      await ack;
    });
    rows.push(['clone', label, fmtTime(clone), fmtRate(bytes / (clone / 1000), 'B')]);

    let buf = new ArrayBuffer(bytes);
    const transfer = await measure(async () => {
      const ack = once(port1);
      port1.postMessage({ kind: 'transfer', buf }, [buf]);
      buf = (await ack).buf;
    });
    rows.push(['transfer', label, fmtTime(transfer), fmtRate(bytes / (transfer / 1000), 'B')]);

    const sab = new SharedArrayBuffer(bytes);
    const share = await measure(async () => {
      const ack = once(port1);
      port1.postMessage({ kind: 'share', sab });
      await ack;
    });
    rows.push(['share', label, fmtTime(share), fmtRate(bytes / (share / 1000), 'B')]);

    const dst = new Uint8Array(bytes);
    const copy = await measure(async () => { dst.set(src); });
    rows.push(['memcpy', label, fmtTime(copy), fmtRate(bytes / (copy / 1000), 'B')]);
  }

  port1.postMessage({ kind: 'stop' });
  port1.close();
  await new Promise((resolve) => worker.once('exit', resolve));

  console.log(`Node ${process.version}: MessageChannel between the main thread and a worker`);
  const header = ['workload', 'size', 'time/op', 'rate'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
