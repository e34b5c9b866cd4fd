// Must not compile: an lvalue of a move-only type cannot be cloned into a message.
// expect: transfer it with std::move
#include <bobbin/message_channel.hpp>

#include <memory>

int main() {
  bobbin::MessageChannel<std::unique_ptr<int>> ch;
  auto p = std::make_unique<int>(1);
  return ch.port1.post_message(p) ? 0 : 1;
}
