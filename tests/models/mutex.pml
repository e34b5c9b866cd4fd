// mutex.pml — the protocol of bobbin::Mutex (include/bobbin/mutex.hpp) over the parking lot.
//
// Checked with spin in safety mode (tests/models/CMakeLists.txt):
//   - mutual exclusion: an assert on the number of processes in the critical section;
//   - no misuse: unlock always finds the lock held;
//   - no lost wake-up and no deadlock: every process does ROUNDS lock/unlock rounds and then
//     ends; a process left asleep while the others have ended is an invalid end state, which
//     spin reports by default.
//
// The model follows the code step by step:
//   lock:    CAS 0 -> 1; else loop { if state != 2, exchange(2) (0 means taken);
//            park while state == 2 }
//   timed:   like lock, but a parked process may time out: it removes itself under the
//            bucket lock unless an unpark removed it first (then it was unparked)
//   unlock:  exchange(0); if the old state was 2, unpark one
//   park:    bucket lock; append; validate (state == 2); if invalid remove and return;
//            else release the bucket lock and sleep until woken
//   unpark:  if nobody is registered (read without the lock), return; else bucket lock,
//            remove one queued process (any one: FIFO is one of the orders checked), wake it
// The brief spin phases only add more CAS attempts, so they are left out. The model is
// sequentially consistent; the code makes every step that matters here seq_cst.

#define N 3        // processes
#define ROUNDS 2   // lock/unlock rounds per process

byte state = 0;          // the cell: 0 unlocked, 1 locked, 2 locked with waiters
byte in_cs = 0;          // processes in the critical section

// The parking lot's bucket for the cell.
bit bucket_lock = 0;
byte registered = 0;     // bucket.parked: read without the lock by unpark's fast path
bit queued[N];           // the process's node is in the bucket's queue
bit woken[N];            // the node's state was set to "unparked" by an unpark

inline unpark_one() {
  if
  :: registered == 0 -> skip            // fast path: nobody parked
  :: else ->
     atomic { bucket_lock == 0 -> bucket_lock = 1 };
     if
     :: queued[0] -> queued[0] = 0; registered--; woken[0] = 1
     :: queued[1] -> queued[1] = 0; registered--; woken[1] = 1
     :: queued[2] -> queued[2] = 0; registered--; woken[2] = 1
     :: else -> skip
     fi;
     bucket_lock = 0
  fi
}

proctype Process(byte id; bit timed) {
  byte old;
  byte round = 0;
  do
  :: round == ROUNDS -> break
  :: round < ROUNDS ->
     round++;
     // lock(): the fast path
     atomic {
       if
       :: state == 0 -> state = 1; goto critical
       :: else -> skip
       fi
     }
slow:
     if
     :: state != 2 ->
        atomic { old = state; state = 2 };
        if
        :: old == 0 -> goto critical
        :: else -> skip
        fi
     :: else -> skip
     fi;
     // park(cell, validate: state == 2)
     atomic { bucket_lock == 0 -> bucket_lock = 1 };
     queued[id] = 1;
     registered++;
     if
     :: state == 2 -> bucket_lock = 0        // valid: sleep
     :: else ->                               // invalid: dequeue, retry
        queued[id] = 0; registered--; bucket_lock = 0; goto slow
     fi;
     if
     :: woken[id] -> woken[id] = 0; goto slow   // unparked: retry
     :: timed ->                                // the deadline passed
        atomic { bucket_lock == 0 -> bucket_lock = 1 };
        if
        :: queued[id] ->                         // we remove ourselves: timed out
           queued[id] = 0; registered--; bucket_lock = 0; goto next
        :: else ->                               // an unpark removed us first: unparked
           bucket_lock = 0; woken[id]; woken[id] = 0; goto slow
        fi
     fi;
critical:
     in_cs++;
     assert(in_cs == 1);
     in_cs--;
     // unlock()
     atomic { old = state; state = 0 };
     assert(old != 0);
     if
     :: old == 2 -> unpark_one()
     :: else -> skip
     fi;
next:
     skip
  od
}

init {
  atomic {
    run Process(0, 0);
    run Process(1, 0);
    run Process(2, 1)
  }
}
