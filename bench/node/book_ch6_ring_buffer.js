// book_ch6_ring_buffer.js — the Node original of examples/shared_memory/ch6_ring_buffer.cpp:
// a byte ring buffer shared by two producers and two consumers (Multithreaded JavaScript
// 6-13 … 6-17, ch6-ring-buffer/ring-buffer.js).
//
// The book's classes are below: RingBuffer (head, tail and length in a Uint32Array, the bytes
// in a Uint8Array; write returns how many bytes fitted, 0 when full; read returns up to n
// bytes, an empty array when empty; neither blocks) and SharedRingBuffer (one SharedArrayBuffer
// of capacity + 16 bytes: the book's Mutex in bytes [0, 4), head/tail/length in [4, 16), the
// data from 16; every write and read runs under the mutex). The demo: a 100-byte ring; two
// producer workers write "Hello, World!\n" (14 bytes), two consumer workers read up to 20
// bytes at a time and print "Read <n> bytes" synchronously; workers are this same file with
// workerData {shared, isProducer}, as in the book.
//
// Fixed from the book, as in the C++ twin (book-examples §12): read sliced [tail, n) instead of
// [tail, tail + n) and returned short or empty data while consuming n bytes — this read copies
// exactly what it consumes (§12.2); SharedRingBuffer built its Mutex with no index — the index
// is explicit here (§12.3); the producers ignored partial writes, which cuts messages in half —
// here a producer holds a producer lock for its whole message and writes the rest as room
// appears, so the byte stream is whole messages. Mutex.acquire loops instead of recursing.
//
// Unlike the book's demo, which spins forever, each producer writes --messages messages
// (default 2000), then the ring is closed and the consumers drain it and stop; nobody
// busy-spins: a full producer or an empty consumer sleeps on a counter cell that the other
// side bumps. Control cells (Int32): 0 producer lock, 1 closed, 2 writes, 3 reads, 4 the read
// sequence (taken under the ring's mutex, together with the read). Oracle, as in the C++ twin:
// every byte arrived, and the reads, put back in the order they happened, spell the messages
// exactly. The first eight reads are printed as in the book.
// Run: node book_ch6_ring_buffer.js [--messages N=2000]
'use strict';
const fs = require('fs');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const { Mutex } = require('./book_mutex');
const { flag } = require('./book_support');


class RingBuffer {
  constructor(meta, buffer) {
    this.meta = meta;      // Uint32Array(3): head (next write), tail (next read), length
    this.buffer = buffer;  // Uint8Array: the bytes; capacity = buffer.length
  }

  get head() { return this.meta[0]; }
  set head(n) { this.meta[0] = n; }
  get tail() { return this.meta[1]; }
  set tail(n) { this.meta[1] = n; }
  get length() { return this.meta[2]; }
  set length(n) { this.meta[2] = n; }

  write(data) {
    const capacity = this.buffer.length;
    const bytesWritten = Math.min(data.length, capacity - this.length);  // 0 when full
    if (bytesWritten === 0) return 0;
    const writeBytes = data.subarray(0, bytesWritten);
    if ((this.head >= this.tail && capacity - this.head >= bytesWritten) ||
        (this.head < this.tail && bytesWritten <= this.tail - this.head)) {
      this.buffer.set(writeBytes, this.head);  // contiguous; head may reach capacity
      this.head += bytesWritten;
    } else {
      const endSpace = capacity - this.head;  // split: the end of the buffer, then its start
      this.buffer.set(writeBytes.subarray(0, endSpace), this.head);
      this.buffer.set(writeBytes.subarray(endSpace), 0);
      this.head = bytesWritten - endSpace;
    }
    this.length += bytesWritten;
    return bytesWritten;
  }

  read(n) {
    const capacity = this.buffer.length;
    const bytes = Math.min(n, this.length);  // an empty array when empty
    let readBytes;
    if (this.head > this.tail || capacity - this.tail >= bytes) {
      readBytes = this.buffer.slice(this.tail, this.tail + bytes);  // the book: (tail, bytes)
      this.tail += bytes;
    } else {
      const endBytes = capacity - this.tail;  // split: [tail, capacity), then from 0
      readBytes = new Uint8Array(bytes);
      readBytes.set(this.buffer.subarray(this.tail, capacity));
      readBytes.set(this.buffer.subarray(0, bytes - endBytes), endBytes);
      this.tail = bytes - endBytes;
    }
    this.length -= bytes;
    return readBytes;
  }
}

class SharedRingBuffer {
  constructor(shared) {  // a capacity, or the SharedArrayBuffer of an existing ring
    this.shared = typeof shared === 'number' ? new SharedArrayBuffer(shared + 16) : shared;
    this.lock = new Mutex(new Int32Array(this.shared, 0, 1), 0);  // the index, explicit
    this.ringBuffer = new RingBuffer(new Uint32Array(this.shared, 4, 3),
                                     new Uint8Array(this.shared, 16));
  }

  write(data) { return this.lock.exec(() => this.ringBuffer.write(data)); }
  read(bytes) { return this.lock.exec(() => this.ringBuffer.read(bytes)); }
  exec(fn) { return this.lock.exec(() => fn(this.ringBuffer)); }  // several steps, one lock
}

const MESSAGE = 'Hello, World!\n';
const PRODUCER_LOCK = 0, CLOSED = 1, WRITES = 2, READS = 3, SEQUENCE = 4;

if (!isMainThread) {
  const { shared, control, isProducer, messages } = workerData;
  const ring = new SharedRingBuffer(shared);
  const cells = new Int32Array(control);
  if (isProducer) {
    const producers = new Mutex(cells, PRODUCER_LOCK);
    const bytes = new TextEncoder().encode(MESSAGE);
    for (let m = 0; m < messages; m++) {
      producers.exec(() => {  // the whole message, so messages never interleave
        let done = 0;
        while (done < bytes.length) {
          const seen = Atomics.load(cells, READS);
          const n = ring.write(bytes.subarray(done));
          if (n > 0) {
            done += n;
            Atomics.add(cells, WRITES, 1);
            Atomics.notify(cells, WRITES);
          } else {
            Atomics.wait(cells, READS, seen);  // full: sleep until a consumer reads
          }
        }
      });
    }
  } else {
    for (;;) {
      const seen = Atomics.load(cells, WRITES);
      const closed = Atomics.load(cells, CLOSED);
      const got = ring.exec((rb) => {
        const data = rb.read(20);  // the book reads up to 20 bytes
        return data.length === 0 ? null : { data, sequence: Atomics.add(cells, SEQUENCE, 1) };
      });
      if (got === null) {
        if (closed) break;                   // closed before this read found it empty: drained
        Atomics.wait(cells, WRITES, seen);   // empty: sleep until a producer writes
        continue;
      }
      Atomics.add(cells, READS, 1);
      Atomics.notify(cells, READS);
      if (got.sequence < 8) fs.writeSync(1, `Read ${got.data.length} bytes\n`);  // as the book
      parentPort.postMessage({ sequence: got.sequence, bytes: Buffer.from(got.data).toString('latin1') });
    }
  }
} else {
  const messages = flag('--messages', 2000);

  // The ring's contract, checked quietly on a small private ring first.
  {
    const r = new SharedRingBuffer(8);
    const enc = (s) => new TextEncoder().encode(s);
    const dec = (a) => Buffer.from(a).toString('latin1');
    const checks = [
      r.read(4).length === 0,                                  // empty: a 0-length read
      r.write(enc('abcdef')) === 6, dec(r.read(4)) === 'abcd',
      r.write(enc('ghijklmn')) === 6,                          // wraps; only 6 fit
      r.write(enc('x')) === 0,                                 // full: 0
      dec(r.read(20)) === 'efghijkl', r.read(1).length === 0,
    ];
    if (checks.includes(false)) {
      console.log(`ring buffer self-check failed: ${checks}`);
      process.exit(1);
    }
  }

  const ring = new SharedRingBuffer(100);  // the book's 116-byte buffer: 100 bytes of data
  const control = new SharedArrayBuffer(5 * 4);
  const cells = new Int32Array(control);
  const reads = [[], []];
  let producing = 2;
  let running = 4;
  let ok = true;
  const finish = () => {
    const inOrder = new Array(reads[0].length + reads[1].length);
    for (const mine of reads) for (const r of mine) inOrder[r.sequence] = r.bytes;
    const stream = inOrder.join('');
    const expected = MESSAGE.repeat(2 * messages);
    ok = ok && stream === expected;
    console.log(`...\n${inOrder.length} reads (${reads[0].length} by consumer 0, ` +
                `${reads[1].length} by consumer 1), ${stream.length} of ${expected.length} bytes, ` +
                (stream === expected ? 'the stream is exactly the messages' : 'the stream is WRONG'));
    console.log(ok ? 'ch6_ring_buffer: ok' : 'ch6_ring_buffer: FAILED');
    process.exitCode = ok ? 0 : 1;
  };
  for (let k = 0; k < 4; k++) {  // two producers, then consumers 0 and 1
    const isProducer = k < 2;
    const w = new Worker(__filename, {
      workerData: { shared: ring.shared, control, isProducer, messages },
    });
    if (!isProducer) w.on('message', (r) => reads[k - 2].push(r));
    w.on('error', (e) => { ok = false; console.log(`worker: ${e}`); });
    w.on('exit', () => {
      if (isProducer && --producing === 0) {  // close: the consumers drain what is left
        Atomics.store(cells, CLOSED, 1);
        Atomics.add(cells, WRITES, 1);
        Atomics.notify(cells, WRITES);
      }
      if (--running === 0) finish();
    });
  }
}
