// notes_robust_worker.js — the Node original of examples/notes/notes_robust_worker.cpp: the note's
// RobustWorkerManager (section 운영 팁 → "오류 처리 및 복구" → "견고한 Worker Threads 구현"), with
// the note's './task-worker.js' in notes_task_worker.js (shared with notes_worker_pool.js).
// The manager runs tasks on up to maxWorkers workers (created on demand; tasks wait when all are
// busy), with a timeout per task (the worker is restarted and the task retried), retries after
// retryDelay up to maxRetries (then the task rejects with the crash's error or "Task timeout
// after retries"), restart of a crashed or timed-out worker after restartDelay, and shutdown
// (new tasks reject "Worker manager is shutting down"). A task that answers {success: false}
// is rejected at once.
// Fixes to the note, as in the C++ twin: a task's answer is handled once (the note listens with
// once('message') and on('message')), a restarted worker takes the old one's place (the note's
// map only grows), and a task waiting for a worker is started when one frees up (the note's
// never is).
// The demo: 4 normal tasks on 2 workers, a flaky task whose worker crashes twice, a task that
// always crashes, a task that never answers (timeouts), a task that fails, then a task after
// shutdown; every outcome and the counts of retries, timeouts and restarts are checked.
// --scale S multiplies all delays (default 1.0: 1000 ms retry and restart delays, a 5000 ms
// task timeout; the smoke run uses 0.02).
// One difference from the twin: a task's timeout starts when its worker is running (its
// 'online' event), not when the task is posted. A Node worker takes tens to hundreds of ms to
// boot (a bobbin worker a thread start), which at --scale 0.02 (a 100 ms timeout) would time
// out every task posted to a new or restarted worker.
// flag and checker come from notes_support.js.
// Run: node notes_robust_worker.js [--scale 0.02]
'use strict';
const path = require('path');
const { Worker } = require('worker_threads');
const { flag, checker } = require('./notes_support');

const TASK_WORKER = path.join(__dirname, 'notes_task_worker.js');

const shuttingDownError = () => new Error('Worker manager is shutting down');

class RobustWorkerManager {
  constructor(workerScript, options = {}) {
    this.workerScript = workerScript;
    this.maxWorkers = options.maxWorkers || 4;
    this.maxRetries = options.maxRetries || 3;
    this.retryDelay = options.retryDelay ?? 1000;
    this.taskTimeout = options.taskTimeout ?? 30000;
    this.restartDelay = options.restartDelay ?? 1000;

    this.slots = [];           // {index, worker (null while restarting), online, currentTask, taskTimeout, restart}
    this.retired = [];         // the terminate() promises of replaced workers
    this.taskQueue = [];       // tasks waiting for a worker
    this.retrying = new Map(); // task id -> {task, timer}: tasks waiting for their retry delay
    this.nextTaskId = 1;
    this.isShuttingDown = false;
    this.retries = 0;
    this.timeouts = 0;
    this.restarts = 0;
  }

  executeTask(taskData) {
    return new Promise((resolve, reject) => {
      this.dispatch({ id: this.nextTaskId++, data: taskData, resolve, reject, retryCount: 0 });
    });
  }

  // executeTask + getAvailableWorker: an idle worker, a new one, or the waiting queue.
  dispatch(task) {
    if (this.isShuttingDown) {
      task.reject(shuttingDownError());
      return;
    }
    const idle = this.slots.find((slot) => slot.worker && !slot.currentTask);
    if (idle) return this.assign(idle, task);
    if (this.slots.length < this.maxWorkers) {
      const slot = { index: this.slots.length, worker: null, online: false, currentTask: null,
                     taskTimeout: null, restart: null };
      this.slots.push(slot);
      this.startWorker(slot);
      return this.assign(slot, task);
    }
    this.taskQueue.push(task);
    return undefined;
  }

  assign(slot, task) {
    slot.worker.postMessage({ ...task.data, attempt: task.retryCount });
    slot.currentTask = task;
    if (slot.online) this.armTimeout(slot);  // else once the worker is running
  }

  armTimeout(slot) {
    slot.taskTimeout = setTimeout(() => this.handleTaskTimeout(slot), this.taskTimeout);
  }

  startWorker(slot) {
    const worker = new Worker(this.workerScript);
    slot.worker = worker;
    slot.online = false;
    worker.on('online', () => {
      if (slot.worker !== worker) return;
      slot.online = true;
      if (slot.currentTask) this.armTimeout(slot);
    });
    // Events of a worker that has been replaced are ignored (slot.worker !== worker).
    worker.on('message', (result) => {
      if (slot.worker === worker) this.handleWorkerResult(slot, result);
    });
    worker.on('error', (error) => {
      if (slot.worker === worker) this.handleWorkerError(slot, error);
    });
    worker.on('exit', (code) => {
      if (slot.worker === worker && code !== 0 && !this.isShuttingDown) {
        console.log(`  worker ${slot.index} exited with code ${code}`);
        this.restartWorker(slot);
      }
    });
  }

  startNextWaiting(slot) {
    if (this.taskQueue.length > 0 && slot.worker && !slot.currentTask) {
      this.assign(slot, this.taskQueue.shift());
    }
  }

  handleWorkerResult(slot, result) {
    const task = slot.currentTask;
    if (!task) return;
    clearTimeout(slot.taskTimeout);
    slot.currentTask = null;
    if (result.success) task.resolve(result.data);
    else task.reject(new Error(result.error));
    this.startNextWaiting(slot);
  }

  handleWorkerError(slot, error) {
    console.log(`  worker ${slot.index} error: ${error.message}`);
    clearTimeout(slot.taskTimeout);
    const task = slot.currentTask;
    if (task) {
      slot.currentTask = null;
      this.retryOrReject(task, error);
    }
    this.restartWorker(slot);
  }

  handleTaskTimeout(slot) {
    const task = slot.currentTask;
    if (!task) return;
    this.timeouts++;
    slot.currentTask = null;
    console.log(`  task timeout: task ${task.id}`);
    this.retryOrReject(task, new Error('Task timeout after retries'));
    this.restartWorker(slot);
  }

  retryOrReject(task, error) {
    if (task.retryCount >= this.maxRetries) {
      task.reject(error);
      return;
    }
    task.retryCount++;
    this.retries++;
    console.log(`  retrying task ${task.id} (${task.retryCount}/${this.maxRetries})`);
    const timer = setTimeout(() => {
      this.retrying.delete(task.id);
      this.dispatch(task);
    }, this.retryDelay);
    this.retrying.set(task.id, { task, timer });
  }

  // Terminates the worker and starts a new one in its slot after restartDelay.
  restartWorker(slot) {
    if (!slot.worker) return;  // already restarting
    this.restarts++;
    this.retired.push(slot.worker.terminate());
    slot.worker = null;
    slot.restart = setTimeout(() => {
      slot.restart = null;
      this.startWorker(slot);
      this.startNextWaiting(slot);
    }, this.restartDelay);
  }

  // Terminates every worker; settles when they have all exited.
  shutdown() {
    this.isShuttingDown = true;
    for (const task of this.taskQueue) task.reject(shuttingDownError());
    this.taskQueue.length = 0;
    for (const { task, timer } of this.retrying.values()) {
      clearTimeout(timer);
      task.reject(shuttingDownError());
    }
    this.retrying.clear();
    const exits = [...this.retired];
    for (const slot of this.slots) {
      clearTimeout(slot.taskTimeout);
      clearTimeout(slot.restart);
      if (slot.currentTask) slot.currentTask.reject(shuttingDownError());
      slot.currentTask = null;
      if (slot.worker) exits.push(slot.worker.terminate());
    }
    return Promise.all(exits);
  }
}

const { expect, failed } = checker();
const scaled = (scale, ms) => Math.round(ms * scale);

async function demonstrate(scale) {
  const manager = new RobustWorkerManager(TASK_WORKER, {
    maxWorkers: 2,
    maxRetries: 3,
    retryDelay: scaled(scale, 1000),
    taskTimeout: scaled(scale, 5000),
    restartDelay: scaled(scale, 1000),
  });
  const task = (id, delay) => ({ id, data: `task${id}`, delay: scaled(scale, delay) });
  const normal = [];
  for (let id = 1; id <= 4; id++) normal.push(manager.executeTask(task(id, 100 * id)));
  const pFlaky = manager.executeTask({ ...task(5, 100), crashBelow: 2 });  // attempts 0, 1 crash
  const pDoomed = manager.executeTask({ ...task(6, 100), crashBelow: 99 });
  const pHanging = manager.executeTask(task(7, 1000000));  // never answers within the timeout
  const pFailing = manager.executeTask({ ...task(8, 100), fail: true });
  const others = Promise.allSettled([pDoomed, pHanging, pFailing]);  // handled from the start
  pFlaky.catch(() => {});  // (awaited later: a rejection meanwhile is not "unhandled")

  try {
    await checkOutcomes(manager, normal, pFlaky, others);
  } finally {
    if (!manager.isShuttingDown) await manager.shutdown();  // a failed check still ends the demo
  }
  let after = '';
  try {
    await manager.executeTask(task(9, 1));
  } catch (e) {
    after = e.message;
  }
  expect(after === 'Worker manager is shutting down', 'no new task after shutdown');
}

async function checkOutcomes(manager, normal, pFlaky, others) {
  const results = await Promise.all(normal);
  expect(results.join() === 'task1 done,task2 done,task3 done,task4 done', 'four normal tasks on two workers');
  expect(await pFlaky === 'task5 done', 'the flaky task succeeds on its third attempt');

  const outcome = (s) => (s.status === 'fulfilled' ? `fulfilled: ${s.value}` : `rejected: ${s.reason.message}`);
  const rest = await others;
  console.log(`  task 6 ${outcome(rest[0])}`);
  console.log(`  task 7 ${outcome(rest[1])}`);
  console.log(`  task 8 ${outcome(rest[2])}`);
  expect(outcome(rest[0]) === 'rejected: task 6 crashed its worker',
         'a task that always crashes is rejected after 3 retries');
  expect(outcome(rest[1]) === 'rejected: Task timeout after retries',
         'a task that never answers is rejected after 3 retries');
  expect(outcome(rest[2]) === 'rejected: task 8 failed', 'a failing task is rejected at once');
  console.log(`  retries ${manager.retries}, timeouts ${manager.timeouts}, restarts ${manager.restarts}`);
  expect(manager.retries === 2 + 3 + 3 && manager.timeouts === 4 && manager.restarts === 10,
         '8 retries, 4 timeouts, 10 restarts');
}

(async () => {
  try {
    await demonstrate(flag('--scale', 1.0));
  } catch (e) {
    expect(false, `the demo: ${e.message}`);
  }
  console.log(failed() ? 'robust worker manager FAILED' : 'robust worker manager OK');
  process.exitCode = failed() ? 1 : 0;
})();
