// book_mutex.js — the book's Mutex over one Int32 cell of a SharedArrayBuffer (Multithreaded
// JavaScript 6-8 … 6-11, ch6-mutex/mutex.js), shared by book_ch6_thread_product_mutex.js and
// book_ch6_ring_buffer.js as the book shares its mutex.js; examples/shared_memory uses
// bobbin::Mutex for the same role.
//
// compareExchange 0 → 1 takes it, Atomics.wait sleeps while it is held, compareExchange 1 → 0
// and notify one waiter release it, exec(fn) runs a critical section. Book bug fixed
// (book-examples §12.7): the book's acquire() calls itself again after each wait; this one loops.
'use strict';

const UNLOCKED = 0;
const LOCKED = 1;

class Mutex {
  constructor(shared, index) {
    this.shared = shared;  // an Int32Array over shared memory
    this.index = index;    // the lock's cell (the book's SharedRingBuffer forgot to pass it: §12.3)
  }

  acquire() {
    while (Atomics.compareExchange(this.shared, this.index, UNLOCKED, LOCKED) !== UNLOCKED) {
      Atomics.wait(this.shared, this.index, LOCKED);
    }
  }

  release() {
    if (Atomics.compareExchange(this.shared, this.index, LOCKED, UNLOCKED) !== LOCKED) {
      throw new Error('was not acquired');
    }
    Atomics.notify(this.shared, this.index, 1);
  }

  exec(fn) {
    this.acquire();
    try {
      return fn();
    } finally {
      this.release();
    }
  }
}

module.exports = { Mutex };
