// Must not compile: TypedArray<T> takes the JavaScript element types only.
// expect: TypedArray<T> needs one of the JavaScript element types
#include <bobbin/typed_array.hpp>

int main() {
  bobbin::TypedArray<bool> view(4);
  return static_cast<int>(view.length());
}
