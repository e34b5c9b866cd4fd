// The parking-lot contract once more, over the portable futex emulation (the backend used where
// there is no Linux futex). The build defines BOBBIN_FORCE_PORTABLE_FUTEX for *_portable_test
// files; the define below keeps the file right when it is compiled by hand.
#ifndef BOBBIN_FORCE_PORTABLE_FUTEX
#define BOBBIN_FORCE_PORTABLE_FUTEX 1
#endif
#include "parking_lot_test.cpp"  // NOLINT(bugprone-suspicious-include): the same tests, on purpose

static_assert(BOBBIN_FUTEX_LINUX_ == 0, "this test must run over the portable futex emulation");
