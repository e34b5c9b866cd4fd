// Must not compile: a BroadcastChannel clones every message, so it cannot carry a MessagePort.
// expect: transfer it with std::move
#include <bobbin/broadcast_channel.hpp>

int main() {
  bobbin::BroadcastChannel<bobbin::MessagePort<int>> bus("ports");
  return bus.closed() ? 1 : 0;
}
