// The event-loop tests again, on the portable backends: the poll() descriptor backend (instead
// of epoll) and, through this file's name, the portable futex (see tests/CMakeLists.txt).
#define BOBBIN_EVENT_LOOP_FORCE_POLL 1
#include "event_loop_test.cpp"
