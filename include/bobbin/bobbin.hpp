// bobbin/bobbin.hpp — everything in bobbin, in one include.
//
// bobbin gives C++ threads the concurrency model of Node.js worker_threads and the Web
// platform. Each header below holds one concept and opens with its contract.
#pragma once

#include "version.hpp"
#include "errors.hpp"
#include "parking_lot.hpp"
#include "array_buffer.hpp"
#include "shared_array_buffer.hpp"
#include "typed_array.hpp"
#include "atomics.hpp"
#include "mutex.hpp"
#include "ring_buffer.hpp"
#include "promise.hpp"
#include "wait_async.hpp"
#include "bounded_queue.hpp"
#include "event_loop.hpp"
#include "abort.hpp"
#include "lock_manager.hpp"
#include "actor.hpp"
#include "message_channel.hpp"
#include "broadcast_channel.hpp"
#include "worker.hpp"
#include "shared_worker.hpp"
#include "thread_pool.hpp"
