// port_close.pml — closing a MessageChannel while messages are in flight
// (include/bobbin/message_channel.hpp over include/bobbin/detail/port_queue.hpp).
//
// Checked with spin in safety mode (tests/models/CMakeLists.txt). A sender posts M messages to
// the receiving port's queue; two receivers block in receive() on it (pop_until); the channel
// is closed concurrently from both sides: the sender's port closes its out queue then its in
// queue, the receiver's port the other way round. Checked:
//   - every message whose post returned true is received exactly once (an exact count and a
//     bitmap of the messages taken), in posting order per receiver; every post after the close
//     returns false; the two counts add up to M;
//   - both directions end closed (both sides see close);
//   - announcements (a large clone announced before its copy, PortQueue::announce) never make
//     a receiver sleep through a message: the sender announces each message, may fail its
//     copy (the message is then never posted), and retracts after the push or the failure;
//   - no deadlock and no lost wake-up: every receiver returns nullopt once the queue is closed
//     and drained (a receiver left asleep is an invalid end state).
//
// The model follows the code (the inbox `msgs` under qlock, the receivers' batch under plock):
//   post:      incoming++ (seq_cst); if waiters != 0 (seq_cst): unpark_one(&waiters); then
//              either the copy fails, or push; then incoming-- (retract)
//   push:      lock; if closed: unlock, return false; was_empty = inbox empty; link the node;
//              unlock; if was_empty: epoch++ (seq_cst); if waiters != 0 (seq_cst):
//              unpark_one(&waiters)
//   close:     plock; lock; if closed: unlock both, return; closed = true; unlock both;
//              epoch++; unpark_all
//   pop_until: loop { seen = epoch; plock; if the batch is empty: { lock; move the whole inbox
//              into the batch; done = (batch empty && closed); unlock }; take the batch's
//              head; unplock; a node -> return it; done -> return nullopt; if !over &&
//              incoming != 0: wait awake until epoch != seen or incoming == 0 (look again), or
//              until the wait's budget runs out (any time: over = 1); else waiters++
//              (seq_cst); park(validate: epoch == seen && (over || incoming == 0)); waiters-- }
//   park/unpark: the parking lot as in parking_lot.pml (bucket lock, a queue of registered
//              receivers, the empty-bucket fast path)
// Sequentially consistent, as the seq_cst store-buffering pairs named in port_queue.hpp make
// those accesses.

// ANNOUNCE 1 adds the announcements (see above). Its state space is large: the check was run
// as `spin -DANNOUNCE=1 -DM=1 -a port_close.pml` (21.5 million states, no errors); the default
// run (ANNOUNCE 0, M 2) checks the rest of the protocol in well under a second.
#ifndef ANNOUNCE
#define ANNOUNCE 0
#endif
#ifndef M
#define M 2
#endif
#define R 2

// The queue towards the receivers (port1 -> port2) and the reverse direction's close flag.
bit qlock = 0;
bit plock = 0;
chan msgs = [M] of { byte };   // the inbox
chan batch = [M] of { byte };  // the receivers' batch
bit closed_a = 0;      // closed_ of the queue towards port2
bit closed_b = 0;      // closed_ of the queue towards port1 (no messages in this model)
byte epoch = 0;
byte waiters = 0;
byte incoming = 0;     // announced messages still being built

// The parking lot's bucket for &waiters.
bit bucket_lock = 0;
byte registered = 0;
bit queued[R];
bit woken[R];

byte accepted = 0;
byte refused = 0;
byte failed = 0;       // announced, but the copy failed: never posted
byte received = 0;
byte taken = 0;        // bitmap of the messages received
byte done_receivers = 0;

inline lock(l) { atomic { l == 0 -> l = 1 } }
inline unlock(l) { l = 0 }

inline unpark(all) {
  if
  :: registered == 0 -> skip
  :: else ->
     lock(bucket_lock);
     do
     :: queued[0] -> queued[0] = 0; registered--; woken[0] = 1; if :: !all -> break :: else -> skip fi
     :: queued[1] -> queued[1] = 0; registered--; woken[1] = 1; if :: !all -> break :: else -> skip fi
     :: else -> break
     od;
     unlock(bucket_lock)
  fi
}

inline close_a() {
  lock(plock);
  lock(qlock);
  if
  :: closed_a -> unlock(qlock); unlock(plock)
  :: else ->
     closed_a = 1;
     unlock(qlock);
     unlock(plock);
     epoch++;
     unpark(1)
  fi
}

inline close_b() { closed_b = 1 }   // its queue is empty and nobody waits on it

proctype Sender() {
  byte i = 1;
  bit was_empty;
  do
  :: i <= M ->
#if ANNOUNCE
     incoming++;                              // announce
     if
     :: waiters != 0 -> unpark(0)
     :: else -> skip
     fi;
     if
     :: true -> failed++; goto retract        // the copy threw: nothing is posted
     :: true -> skip
     fi;
#endif
     lock(qlock);
     if
     :: closed_a -> unlock(qlock); refused++
     :: else ->
        was_empty = empty(msgs);
        msgs!i;
        accepted++;
        unlock(qlock);
        if
        :: was_empty -> epoch++
        :: else -> skip
        fi;
        if
        :: waiters != 0 -> unpark(0)
        :: else -> skip
        fi
     fi;
#if ANNOUNCE
retract:
     incoming--;
#endif
     i++
  :: else -> break
  od
}

proctype Closer(bit sender_side) {
  if
  :: sender_side -> close_a(); close_b()     // port1.close(): out_ then in_
  :: else -> close_b(); close_a()            // port2.close(): out_ then in_
  fi
}

proctype Receiver(byte id) {
  byte seen, m, last = 0;
  bit got, done, over = 0;
  do
  :: seen = epoch;
     lock(plock);
     got = 0;
     done = 0;
     if
     :: empty(batch) ->
        lock(qlock);
        do
        :: nempty(msgs) -> msgs?m; batch!m
        :: empty(msgs) -> break
        od;
        done = empty(batch) && closed_a;
        unlock(qlock)
     :: nempty(batch) -> skip
     fi;
     if
     :: nempty(batch) -> batch?m; got = 1
     :: empty(batch) -> skip
     fi;
     unlock(plock);
     if
     :: got ->
        assert(m > last);                   // FIFO as seen by one receiver
        last = m;
        assert((taken & (1 << m)) == 0);    // exactly once
        taken = taken | (1 << m);
        received++
     :: done -> break
     :: !got && !done && !over && incoming != 0 ->   // wait awake for the announced message
        if
        :: epoch != seen || incoming == 0 -> skip   // look again
        :: true -> over = 1                         // the budget ran out
        fi
     :: !got && !done && (over || incoming == 0) ->
        waiters++;
        lock(bucket_lock);
        queued[id] = 1;
        registered++;
        if
        :: epoch == seen && (over || incoming == 0) ->   // valid: sleep until unparked
           unlock(bucket_lock);
           woken[id];
           woken[id] = 0
        :: else ->                          // something happened: do not sleep
           queued[id] = 0;
           registered--;
           unlock(bucket_lock)
        fi;
        waiters--
     fi
  od;
  done_receivers++
}

init {
  atomic {
    run Sender();
    run Receiver(0);
    run Receiver(1);
    run Closer(0);
    run Closer(1)
  }
  (_nr_pr == 1);
  assert(done_receivers == R);
  assert(received == accepted);
  assert(accepted + refused + failed == M);
  assert(incoming == 0);
  assert(closed_a && closed_b);
  assert(len(msgs) == 0 && len(batch) == 0)
}
