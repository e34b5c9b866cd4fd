// ch1_async_styles: one job, two styles of asynchronous code (listing 1-1).
//
// The book's listing does the same job twice: read a file, transform the data, write the result
// to another file, then log "done". First with nested callbacks (each step's callback starts the
// next step: the "pyramid"), then as an async function that awaits the three steps in sequence.
//
// What it shows: both styles on bobbin. The steps run on a ThreadPool, which plays libuv's
// thread pool as in ch1_read_files; the program's own code stays on the main thread's loop.
//   - Callbacks: `read_file`, `transform` and `write_file` take a Node-style callback
//     `(error, value)`. Each hands its work to the pool, and the pool thread posts the
//     callback back to the main loop (the caller's loop is kept alive until the callback has
//     run). Each callback starts the next step, three levels deep.
//   - async/await: a `bobbin::Async<void>` coroutine that `co_await`s the promise of each
//     step in turn (`pool.run(...)`), reads like sequential code and resumes on the main loop.
// (Then-chaining on bobbin::Promise, the style between the two, is what ch1_read_files shows.)
// The transform makes the text upper-case. The program writes its input file into a fresh
// temporary directory and removes it at the end. Checked: each style's output file holds
// exactly the transformed input, and "done" is printed twice (once by each style).
// Node original: bench/node/book_ch1_async_styles.js (fs callbacks, then fs/promises).
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/thread_pool.hpp>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "book_support.hpp"

namespace fs = std::filesystem;

namespace {

int g_done = 0;  // how many times "done" was logged (main thread only)

void log_done() {
  ++g_done;
  book::say("done");
}

void report(const std::exception_ptr& error) {
  std::cerr << "Something went wrong:\n" << examples::what(error) << '\n';
}

// ---- the three steps, as plain blocking functions (what runs on the pool) ----

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw std::runtime_error("ENOENT: no such file or directory, open '" + file.string() + "'");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string upper_case(std::string data) {
  std::transform(data.begin(), data.end(), data.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return data;
}

bool write_text(const fs::path& file, const std::string& data) {
  std::ofstream out(file, std::ios::binary);
  out << data;
  out.close();
  if (!out) throw std::runtime_error("EIO: cannot write '" + file.string() + "'");
  return true;
}

// ---- style 1: Node-style callbacks, each posted back to the caller's loop ----

// Runs work() on the pool and then callback(error, value) on the calling thread's loop, which
// stays alive until then (libuv does the same with its request callbacks).
template <class T>
void on_pool(bobbin::ThreadPool& pool, std::function<T()> work,
             std::function<void(std::exception_ptr, T)> callback) {
  auto loop = bobbin::EventLoop::current().shared_from_this();
  loop->add_ref();
  pool.post([loop, work = std::move(work), callback = std::move(callback)] {
    std::exception_ptr error;
    T value{};
    try {
      value = work();
    } catch (...) {
      error = std::current_exception();
    }
    loop->post([loop, callback, error, value = std::move(value)]() mutable {
      loop->release_ref();
      callback(error, std::move(value));
    });
  });
}

using Callback = std::function<void(std::exception_ptr, std::string)>;

void read_file(bobbin::ThreadPool& pool, const fs::path& file, Callback callback) {
  on_pool<std::string>(
      pool, [file] { return read_text(file); }, std::move(callback));
}
void transform(bobbin::ThreadPool& pool, std::string data, Callback callback) {
  on_pool<std::string>(
      pool, [data = std::move(data)] { return upper_case(data); }, std::move(callback));
}
void write_file(bobbin::ThreadPool& pool, const fs::path& file, std::string data,
                std::function<void(std::exception_ptr)> callback) {
  on_pool<bool>(
      pool, [file, data = std::move(data)] { return write_text(file, data); },
      [callback = std::move(callback)](std::exception_ptr error, bool) { callback(error); });
}

void callback_style(bobbin::ThreadPool& pool, const fs::path& in, const fs::path& out) {
  read_file(pool, in, [&pool, out](std::exception_ptr error, std::string data) {
    if (error) return report(error);
    book::say("  read " + std::to_string(data.size()) + " bytes");
    transform(pool, std::move(data), [&pool, out](std::exception_ptr error, std::string result) {
      if (error) return report(error);
      book::say("  transformed");
      write_file(pool, out, std::move(result), [out](std::exception_ptr error) {
        if (error) return report(error);
        book::say("  wrote " + out.filename().string());
        log_done();
      });
    });
  });
}

// ---- style 2: async/await ----

bobbin::Async<void> async_style(bobbin::ThreadPool& pool, fs::path in, fs::path out) {
  try {
    std::string data = co_await pool.run(read_text, in);
    book::say("  read " + std::to_string(data.size()) + " bytes");
    std::string result = co_await pool.run(upper_case, std::move(data));
    book::say("  transformed");
    co_await pool.run(write_text, out, std::move(result));
    book::say("  wrote " + out.filename().string());
    log_done();
  } catch (...) {
    report(std::current_exception());
  }
}

}  // namespace

int main() {
  const fs::path dir =
      fs::temp_directory_path() / ("bobbin-ch1-async-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string input =
      "Read a file, transform it, write it, log done.\nTwice: callbacks, then await.\n";
  write_text(dir / "input.txt", input);
  const std::string expected = upper_case(input);

  bobbin::ThreadPool fs_pool({.min_threads = 0, .max_threads = 4, .name = "fs-pool"});

  book::say("callbacks:");
  callback_style(fs_pool, dir / "input.txt", dir / "out-callbacks.txt");
  bobbin::run();

  book::say("async/await:");
  async_style(fs_pool, dir / "input.txt", dir / "out-await.txt")
      .catch_error([](std::exception_ptr error) { report(error); });
  bobbin::run();

  std::string by_callbacks;
  std::string by_await;
  try {
    by_callbacks = read_text(dir / "out-callbacks.txt");
    by_await = read_text(dir / "out-await.txt");
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
  }
  fs::remove_all(dir);

  book::check(by_callbacks == expected, "the callbacks' output file holds the transformed input");
  book::check(by_await == expected, "the coroutine's output file holds the transformed input");
  book::check(g_done == 2, "\"done\" logged twice");
  return book::finish("async styles OK");
}
