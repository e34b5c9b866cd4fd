// book_support.js — small helpers the book's Node scripts share (the JS side of
// examples/book/book_support.hpp: book::flag, book::check, book::finish):
//   flag('--n', 10)              the number after a flag on the command line, or the fallback
//   flagText('--mode', 'all')    the same, the text as it is
//   check(condition, what)       records a failed oracle, printed as "WRONG: what"
//   failed()                     true once a check failed
//   finish('name OK')            prints the pass line and returns 0, or sets process.exitCode
//                                to 1 and returns 1 after a failed check
// The record is one per thread (a worker that loads this module has its own).
// Used by book_ch1_async_styles.js, book_ch1_read_files.js, book_ch1_thread_count.js,
// book_ch2_*.js, book_ch3_cluster.js, book_ch3_message_channel.js, book_ch3_parent_port.js,
// book_ch3_pool_sqrt.js, book_ch3_worker_data.js, book_ch6_actor.js, book_ch6_actor_server.js,
// book_ch6_ring_buffer.js, book_ch6_thread_pool.js, book_ch6_thread_product.js,
// book_ch6_thread_product_mutex.js, book_ch8_template_render.js and book_rpc_worker.js.
// Run: not on its own; the book_*.js scripts require('./book_support').
'use strict';

function flagText(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

function flag(name, fallback) {
  const text = flagText(name, undefined);
  return text === undefined ? fallback : Number(text);
}

let anyFailed = false;

function check(condition, what) {
  if (!condition) {
    console.log(`WRONG: ${what}`);
    anyFailed = true;
  }
}

function failed() {
  return anyFailed;
}

function finish(passLine) {
  if (anyFailed) {
    process.exitCode = 1;
    return 1;
  }
  console.log(passLine);
  return 0;
}

module.exports = { flag, flagText, check, failed, finish };
