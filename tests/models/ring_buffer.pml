/*
 * ring_buffer.pml — the blocking protocol of bobbin::RingBuffer (ring_buffer.hpp), checked
 * with spin for small bounds: capacity 2, 4 items, and either close() after the last push or
 * a consumer that stops after N (so that a lost wake-up is not healed by close's unpark).
 *
 *   spin -a ring_buffer.pml && cc -O2 -DSAFETY -o pan pan.c && ./pan -m100000
 *
 * What is checked:
 *   - FIFO, no loss, no duplication: the consumer asserts it receives exactly 0, 1, 2, 3 in
 *     order, and that pop ends (closed and drained) only after all four;
 *   - no lost wake-up and no deadlock: spin's invalid-end-state check. A thread parked that
 *     nobody will unpark is stuck at a non-end label, which spin reports.
 *
 * The model keeps what the C++ code relies on:
 *   - head and tail are free-running counters. Next to each index is the sleeper count of the
 *     side waiting for it to move. A publisher stores its index, then reads that count and
 *     calls unpark_one on the index's key only when the count is above zero (the fast path
 *     pays no parking-lot call). A side that would block (after its spin, not modelled: it
 *     only retries) increments its sleeper count, then parks with a validation that re-reads
 *     the index and closed; when it returns it decrements the count.
 *   - Promela's interleaving is sequentially consistent. In the C++ code the publisher's
 *     store-then-load is a release store and a relaxed load on Linux x86, made to behave as
 *     the sequentially consistent pair by the sleeper's membarrier(2) between its increment
 *     and its re-read (seq_cst store and load elsewhere). Without that, the publisher's load
 *     may be satisfied before its store is visible: BROKEN_NO_BARRIER below.
 *   - The parking lot, per key: a bucket lock, a parked count and the waiter's queue node.
 *     park(): lock, append (parked++), validate under the lock (re-read the index, and
 *     closed), and either dequeue and return "invalid" or unlock and sleep until the node is
 *     unparked. unpark_one(): the lock-free fast path returns at once when the parked count is
 *     0; otherwise lock, dequeue the waiter if there is one, mark it unparked, unlock. Each
 *     key gets its own bucket: the fast path then sees only its own waiter, the hardest case.
 *
 * Broken variants, each of which spin must reject (run with spin -a -DBROKEN_x ...):
 *   BROKEN_UNPARK_FIRST   check the sleepers and unpark before publishing the index;
 *   BROKEN_NO_VALIDATE    park without re-checking the index under the lock (a lost wake-up);
 *   BROKEN_NO_BARRIER     the publisher's sleeper-count load is satisfied before its index
 *                         store is visible (no membarrier, no seq_cst): a lost wake-up;
 *   BROKEN_EARLY_TAIL     the consumer publishes tail before reading the slot (the producer
 *                         may overwrite it: the FIFO assertion fails).
 */

#define CAP 2
#define N 4

byte head = 0;      /* elements ever pushed (producer writes) */
byte tail = 0;      /* elements ever popped (consumer writes) */
bit closed = 0;
bit will_close;     /* chosen at the start: end with close(), or the consumer stops at N */
byte slots[CAP];

/* The parking lot: one bucket per key. Key 0 = the address of head (the consumer waits on
   it), key 1 = the address of tail (the producer waits on it). */
#define HEAD_KEY 0
#define TAIL_KEY 1
bit lock[2];
byte parked[2];     /* the bucket's parked count, read lock-free by unpark's fast path */
bit queued[2];      /* the one waiter's node is in the bucket's list */
bit unparked[2];    /* the waiter's node state: removed by an unpark */
byte sleepers[2];   /* the ring's sleeper count next to each index */

inline acquire(k) { atomic { lock[k] == 0 -> lock[k] = 1 } }
inline release(k) { lock[k] = 0 }

/* unpark_one(key): the fast path, then the locked path. */
inline unpark_one(k) {
  if
  :: parked[k] == 0 -> skip                /* nobody parked: no lock taken */
  :: else ->
     acquire(k);
     if
     :: queued[k] -> queued[k] = 0; parked[k]--; unparked[k] = 1
     :: else -> skip
     fi;
     release(k)
  fi
}

/* Publish an index (`publish` is the store), then wake the other side if it announced a
   sleep. */
#ifdef BROKEN_UNPARK_FIRST
#define PUBLISH(publish, k) \
  if \
  :: sleepers[k] > 0 -> unpark_one(k) \
  :: else -> skip \
  fi; \
  publish
#elif defined(BROKEN_NO_BARRIER)
#define PUBLISH(publish, k) \
  if \
  :: sleepers[k] == 0 -> publish \
  :: else -> publish; unpark_one(k) \
  fi
#else
#define PUBLISH(publish, k) \
  publish; \
  if \
  :: sleepers[k] > 0 -> unpark_one(k) \
  :: else -> skip \
  fi
#endif

/* Blocks on key k while `cond` holds: announce, park with validation, withdraw. */
#ifdef BROKEN_NO_VALIDATE
#define VALIDATED(cond) 1
#else
#define VALIDATED(cond) (cond)
#endif
#define BLOCK(k, cond) \
  sleepers[k]++; \
  acquire(k); \
  queued[k] = 1; parked[k]++; \
  still = VALIDATED(cond); \
  if \
  :: still -> release(k); unparked[k] == 1; unparked[k] = 0 \
  :: else -> queued[k] = 0; parked[k]--; release(k) \
  fi; \
  sleepers[k]--

proctype producer() {
  byte i = 0;
  bit still;
  do
  :: i < N ->
     if
     :: head - tail < CAP ->                /* try_push: room (tail read once) */
        slots[head % CAP] = i;
        PUBLISH(head++, HEAD_KEY);
        i++
     :: else ->                             /* full: park on tail, validate "still full" */
        BLOCK(TAIL_KEY, head - tail == CAP && !closed)
     fi
  :: else -> break
  od;
  if
  :: will_close ->
     /* close(): store the flag, then unpark_all on both keys (one waiter per key here). */
     closed = 1;
     unpark_one(HEAD_KEY);
     unpark_one(TAIL_KEY)
  :: else -> skip
  fi
}

proctype consumer() {
  byte expect = 0;
  byte h;
  bit still;
  do
  :: !will_close && expect == N -> break    /* the consumer knows how many are coming */
  :: (will_close || expect < N) && head != tail ->   /* try_pop: something stored */
#ifdef BROKEN_EARLY_TAIL
     h = tail;
     PUBLISH(tail++, TAIL_KEY);             /* frees the slot before reading it */
     assert(slots[h % CAP] == expect);
     expect++
#else
     assert(slots[tail % CAP] == expect);   /* FIFO, no loss, no duplicate */
     expect++;
     PUBLISH(tail++, TAIL_KEY)
#endif
  :: (will_close || expect < N) && head == tail ->   /* empty */
     if
     :: closed ->                           /* closed: drained only if head is still tail */
        h = head;
        if
        :: h == tail -> break               /* pop returns nullopt */
        :: else -> skip
        fi
     :: else ->                             /* empty: park on head, validate "still empty" */
        BLOCK(HEAD_KEY, head == tail && !closed)
     fi
  od;
  assert(expect == N)                       /* pop ended only after every element */
}

init {
  if
  :: will_close = 0
  :: will_close = 1
  fi;
  atomic { run producer(); run consumer() }
}
