// Must not compile: a MessagePort must be transferred (moved), never cloned (copied).
// expect: transfer it with std::move
#include <bobbin/message_channel.hpp>

int main() {
  bobbin::MessageChannel<bobbin::MessagePort<int>> carrier;
  bobbin::MessageChannel<int> inner;
  return carrier.port1.post_message(inner.port2) ? 0 : 1;
}
