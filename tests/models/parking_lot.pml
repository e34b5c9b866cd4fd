// parking_lot.pml — the park/unpark protocol of include/bobbin/parking_lot.hpp on one key.
//
// Checked with spin in safety mode (tests/models/CMakeLists.txt). Three waiters park on one
// key, guarded by a condition the waker changes; waiter 2 has a deadline and may time out at
// any moment, racing the unparks. The waker sets the condition, then calls unpark_one once per
// waiter (each with the empty-bucket fast path). Checked:
//   - no lost wake-up: every waiter without a deadline ends (a waiter asleep after the others
//     have ended is an invalid end state, which spin reports by default);
//   - exactly one outcome per park, decided by whoever removes the node under the bucket lock:
//     a waiter that times out while being unparked returns `unparked` if the unpark removed it
//     first, and the unparks' counts add up to exactly the parks that returned `unparked`;
//   - per-key FIFO: unparks wake waiters in the order they were queued, also after a timed-out
//     waiter left the middle of the queue (tickets of woken waiters strictly increase);
//   - the queue and the bucket's `parked` count are empty at the end.
//
// The model follows the code:
//   park_until:  bucket lock; append (parked++, seq_cst); validate (cond == 0, seq_cst load);
//                invalid -> remove, unlock, return invalid; else unlock and wait for the node's
//                state to become "unparked"; on the deadline: bucket lock; if an unpark already
//                removed the node, return unparked, else remove it and return timed_out
//   unpark_one:  if parked == 0 (read without the lock) return 0; else bucket lock; remove the
//                head, set its state to unparked (the release hand-off), unlock, return 1
//   waker:       cond = 1 (seq_cst), then unpark_one for each waiter
// The model is sequentially consistent. For the two accesses that matter (the waiter's
// increment of `parked` before reading `cond`, the waker's write of `cond` before reading
// `parked`) that is exactly what the header's store-buffering rule (all four seq_cst)
// guarantees; spinning, yielding and the futex only delay the wait, so they are left out.

#define W 3
#define NONE 0
#define UNPARKED 1
#define INVALID 2
#define TIMED_OUT 3

byte cond = 0;
bit bucket_lock = 0;
byte parked = 0;              // bucket.parked
chan queue = [W] of { byte }; // the key's FIFO of queued waiters
bit unparked_flag[W];         // the node's state: set by the unpark that removed it
byte result[W];
byte ticket[W];
byte next_ticket = 1;
byte last_woken_ticket = 0;
byte woken = 0;               // the sum of what the unpark calls returned

inline lock() { atomic { bucket_lock == 0 -> bucket_lock = 1 } }
inline unlock() { bucket_lock = 0 }

// Unlinks waiter `id` from the middle of the queue, keeping the others' order (the doubly
// linked list's remove).
inline remove(id) {
  k = len(queue);
  do
  :: k > 0 ->
     queue?x;
     if
     :: x != id -> queue!x
     :: else -> skip
     fi;
     k--
  :: else -> break
  od;
  parked--
}

proctype Waiter(byte id; bit timed) {
  byte k, x;
  if
  :: cond != 0 -> result[id] = INVALID   // the caller's own check before parking
  :: else ->
     lock();
     queue!id;
     ticket[id] = next_ticket;
     next_ticket++;
     parked++;
     if
     :: cond != 0 ->                      // validate() returned false
        remove(id);
        unlock();
        result[id] = INVALID
     :: else ->
        unlock();
        if
        :: unparked_flag[id] -> result[id] = UNPARKED
        :: timed ->                        // the deadline passes, at any moment
           lock();
           if
           :: unparked_flag[id] -> result[id] = UNPARKED   // the unpark removed it first
           :: else -> remove(id); result[id] = TIMED_OUT
           fi;
           unlock()
        fi
     fi
  fi
}

proctype Waker() {
  byte i = 0, x;
  cond = 1;
  do
  :: i < W ->
     i++;
     if
     :: parked == 0 -> skip                // fast path: the bucket looks empty
     :: else ->
        lock();
        if
        :: nempty(queue) ->
           queue?x;
           parked--;
           assert(ticket[x] > last_woken_ticket);   // FIFO
           last_woken_ticket = ticket[x];
           unparked_flag[x] = 1;
           woken++
        :: empty(queue) -> skip
        fi;
        unlock()
     fi
  :: else -> break
  od
}

init {
  byte i, n = 0;
  atomic {
    run Waiter(0, 0);
    run Waiter(1, 0);
    run Waiter(2, 1);
    run Waker()
  }
  (_nr_pr == 1);
  i = 0;
  do
  :: i < W ->
     assert(result[i] != NONE);
     if
     :: result[i] == UNPARKED -> n++; assert(unparked_flag[i])
     :: result[i] == TIMED_OUT -> assert(i == 2 && !unparked_flag[i])
     :: result[i] == INVALID -> assert(!unparked_flag[i])
     fi;
     i++
  :: else -> break
  od;
  assert(n == woken);
  assert(parked == 0 && len(queue) == 0)
}
