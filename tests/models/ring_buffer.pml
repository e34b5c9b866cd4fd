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
 *   - head and tail are free-running counters; the producer publishes head, then unparks the
 *     key of head; the consumer publishes tail, then unparks the key of tail. Promela's
 *     interleaving is sequentially consistent, as the seq_cst index stores are. (On Linux x86
 *     the C++ code publishes with release stores and the waiter issues membarrier(2) between
 *     its registration and its validation; for this store-load pair that gives the same
 *     outcomes as seq_cst, which is what the model checks. Without either, the fast path's
 *     load may pass the store: BROKEN_RELEASE_STORE below.)
 *   - The parking lot, per key: a bucket lock, a parked count and the waiter's queue node.
 *     park(): lock, append (parked++), validate under the lock (re-read the index, and
 *     closed), and either dequeue and return "invalid" or unlock and sleep until the node is
 *     unparked. unpark_one(): the lock-free fast path returns at once when the parked count is
 *     0; otherwise lock, dequeue the waiter if there is one, mark it unparked, unlock. Each
 *     key gets its own bucket: the fast path then sees only its own waiter, the hardest case.
 *
 * Broken variants, each of which spin must reject (run with spin -a -DBROKEN_x ...):
 *   BROKEN_UNPARK_FIRST   unpark before publishing the index (a lost wake-up);
 *   BROKEN_NO_VALIDATE    park without re-checking the index under the lock (a lost wake-up);
 *   BROKEN_RELEASE_STORE  the index store is only "release": the fast path's load of the
 *                         parked count may be satisfied before the store is visible, which is
 *                         the store-buffering reordering the seq_cst store forbids.
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

/* The locked half of unpark_one, for the broken release-store variant. */
inline unpark_locked(k) {
  acquire(k);
  if
  :: queued[k] -> queued[k] = 0; parked[k]--; unparked[k] = 1
  :: else -> skip
  fi;
  release(k)
}

/* Publish an index (`publish` is the store) and wake the other side's waiter. */
#ifdef BROKEN_UNPARK_FIRST
#define PUBLISH(publish, k) unpark_one(k); publish
#elif defined(BROKEN_RELEASE_STORE)
#define PUBLISH(publish, k) \
  if \
  :: parked[k] == 0 -> publish \
  :: else -> publish; unpark_locked(k) \
  fi
#else
#define PUBLISH(publish, k) publish; unpark_one(k)
#endif

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
        acquire(TAIL_KEY);
        queued[TAIL_KEY] = 1; parked[TAIL_KEY]++;
        still = (head - tail == CAP && !closed);
#ifdef BROKEN_NO_VALIDATE
        still = 1;
#endif
        if
        :: still -> release(TAIL_KEY); unparked[TAIL_KEY] == 1; unparked[TAIL_KEY] = 0
        :: else -> queued[TAIL_KEY] = 0; parked[TAIL_KEY]--; release(TAIL_KEY)
        fi
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
        acquire(HEAD_KEY);
        queued[HEAD_KEY] = 1; parked[HEAD_KEY]++;
        still = (head == tail && !closed);
#ifdef BROKEN_NO_VALIDATE
        still = 1;
#endif
        if
        :: still -> release(HEAD_KEY); unparked[HEAD_KEY] == 1; unparked[HEAD_KEY] = 0
        :: else -> queued[HEAD_KEY] = 0; parked[HEAD_KEY]--; release(HEAD_KEY)
        fi
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
