// ch1_read_files: reading files concurrently (listing 1-3).
//
// The book's program maps [1, 2, 3] to the promises of reading 1.txt, 2.txt and 3.txt (each
// parsed as a base-10 integer), awaits them all and prints the sum: 6. On any error it prints
// "Something went wrong:" and the error to stderr.
//
// What it shows: concurrency without threads in the program's own code. Node hands the reads
// to libuv's thread pool and the JavaScript stays single-threaded; here a bobbin::ThreadPool
// plays libuv's pool, `bobbin::all` awaits the three promises and the sum is printed by a
// continuation on the main thread's loop. The program writes the three files into a fresh
// temporary directory first and removes it at the end. Checked: the sum is 6.
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/thread_pool.hpp>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "book_support.hpp"

namespace fs = std::filesystem;

namespace {

// getNum(filename): read the file as text and parse it as a base-10 integer.
int get_num(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("ENOENT: no such file or directory, open '" + file.string() + "'");
  std::stringstream text;
  text << in.rdbuf();
  return std::stoi(text.str(), nullptr, 10);
}

}  // namespace

int main() {
  const fs::path dir = fs::temp_directory_path() / ("bobbin-ch1-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (int i = 1; i <= 3; ++i) std::ofstream(dir / (std::to_string(i) + ".txt")) << i << '\n';

  bobbin::ThreadPool fs_pool({.min_threads = 0, .max_threads = 4, .name = "fs-pool"});
  std::vector<bobbin::Promise<int>> reads;
  for (int i : {1, 2, 3}) reads.push_back(fs_pool.run(get_num, dir / (std::to_string(i) + ".txt")));

  int sum = -1;
  bobbin::all(std::move(reads))
      .then([&](const std::vector<int>& numbers) {
        sum = 0;
        for (int n : numbers) sum += n;
        book::say(std::to_string(sum));
      })
      .catch_error([](std::exception_ptr error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          std::cerr << "Something went wrong:\n" << e.what() << '\n';
        }
      });
  bobbin::run();
  fs::remove_all(dir);

  book::check(sum == 6, "1 + 2 + 3 = 6");
  return book::finish("read files OK");
}
