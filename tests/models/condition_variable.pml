// condition_variable.pml — the protocol of bobbin::ConditionVariable (include/bobbin/mutex.hpp).
//
// Checked with spin in safety mode (tests/models/CMakeLists.txt): two consumers each wait,
// under the mutex, for an item; two producers each add one item and notify_one, one of them
// after releasing the mutex and one while holding it. A lost wake-up leaves a consumer asleep
// after every other process has ended: an invalid end state, which spin reports by default.
// The count of items taken is asserted exact.
//
// The model follows the code:
//   wait:    seen = seq (under the mutex); unlock; park(validate: seq == seen); lock
//   notify:  seq++; unpark_one (fast path: skip the bucket when nobody is registered)
// The mutex is modelled as one atomic test-and-set (its own protocol is mutex.pml's); the
// sequence counter wraps at 256 here as it wraps at 2^32 in the code.

#define CONSUMERS 2

bit mutex = 0;
byte seq = 0;
byte items = 0;          // guarded by the mutex
byte taken = 0;          // guarded by the mutex

bit bucket_lock = 0;
byte registered = 0;
bit queued[CONSUMERS];
bit woken[CONSUMERS];

inline lock() { atomic { mutex == 0 -> mutex = 1 } }
inline unlock() { mutex = 0 }

inline notify_one() {
  seq++;
  if
  :: registered == 0 -> skip
  :: else ->
     atomic { bucket_lock == 0 -> bucket_lock = 1 };
     if
     :: queued[0] -> queued[0] = 0; registered--; woken[0] = 1
     :: queued[1] -> queued[1] = 0; registered--; woken[1] = 1
     :: else -> skip
     fi;
     bucket_lock = 0
  fi
}

proctype Consumer(byte id) {
  byte seen;
  lock();
  do
  :: items > 0 -> break
  :: else ->
     seen = seq;
     unlock();
     atomic { bucket_lock == 0 -> bucket_lock = 1 };
     queued[id] = 1;
     registered++;
     if
     :: seq == seen ->                        // valid: sleep until unparked
        bucket_lock = 0;
        woken[id];
        woken[id] = 0
     :: else ->                               // a notify came first: do not sleep
        queued[id] = 0; registered--; bucket_lock = 0
     fi;
     lock()
  od;
  items--;
  taken++;
  unlock()
}

proctype Producer(bit notify_under_lock) {
  lock();
  items++;
  if
  :: notify_under_lock -> notify_one(); unlock()
  :: else -> unlock(); notify_one()
  fi
}

init {
  atomic {
    run Consumer(0);
    run Consumer(1);
    run Producer(0);
    run Producer(1)
  }
  (_nr_pr == 1);
  assert(taken == CONSUMERS && items == 0)
}
