// Must not compile: an actor's handler must be callable with its message type.
// expect: the handler must be callable as handler\(Msg&&\)
#include <bobbin/actor.hpp>

#include <string>

int main() {
  bobbin::ActorSystem actors(1);
  auto a = actors.spawn<int>([](const std::string& s) { return s.size(); });
  return a.valid() ? 0 : 1;
}
