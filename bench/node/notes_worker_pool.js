// notes_worker_pool.js — the Node original of examples/notes/notes_worker_pool.cpp: the note's
// WorkerPool and MonitoredWorkerPool (section 운영 팁 → "워커 풀 관리" and "성능 모니터링"), with
// the note's './task-worker.js' (which it uses without showing) in notes_task_worker.js: a task {id, data, delay} is answered after `delay` ms with {success: true, data:
// "<data> done"}; `fail` answers {success: false}, and `crashBelow` throws an uncaught error
// while `attempt < crashBelow` (the worker dies).
// Two fixes to the note, as in the C++ twin: the task of a worker that dies is rejected with the
// worker's error (the note's promise hangs), and a dying worker is replaced once, on 'exit'
// (the note replaces it on 'error' and again on 'exit'), and not while shutting down.
// The demo: the note's demonstrateWorkerPool (5 tasks of 1000/800/1200/600/900 ms on 4 workers,
// all at once), a task that crashes its worker (replaced; 8 more tasks run), then 20 tasks on a
// MonitoredWorkerPool of which 2 fail (success rate 90%). --scale S multiplies the delays
// (default 1.0, as in the note; the smoke run uses 0.02).
// flag and checker come from notes_support.js.
// Run: node notes_worker_pool.js [--scale 0.02]
'use strict';
const path = require('path');
const { Worker } = require('worker_threads');
const { performance } = require('perf_hooks');
const { flag, checker } = require('./notes_support');

const TASK_WORKER = path.join(__dirname, 'notes_task_worker.js');

// ---- WorkerPool ----
class WorkerPool {
  constructor(size, workerScript) {
    this.size = size;
    this.workerScript = workerScript;
    this.workers = [];
    this.taskQueue = [];
    this.availableWorkers = [];
    this.shuttingDown = false;
    this.replacedWorkers = 0;
    this.initialize();
  }

  initialize() {
    for (let i = 0; i < this.size; i++) this.workers.push(this.makeWorker(i));
  }

  makeWorker(index) {
    const worker = new Worker(this.workerScript);
    worker.on('message', (result) => this.handleWorkerResult(worker, result));
    worker.on('error', (error) => {
      console.log(`  worker ${index} error: ${error.message}`);
      if (worker.currentTask) {
        worker.currentTask.reject(error);
        worker.currentTask = null;
      }
    });
    worker.on('exit', (code) => {
      if (code !== 0 && !this.shuttingDown) {
        console.log(`  worker ${index} exited with code ${code}: replacing it`);
        this.replaceWorker(index);
      }
    });
    this.availableWorkers.push(worker);
    return worker;
  }

  executeTask(taskData) {
    return new Promise((resolve, reject) => {
      this.taskQueue.push({ data: taskData, resolve, reject });
      this.processNextTask();
    });
  }

  processNextTask() {
    if (this.taskQueue.length === 0 || this.availableWorkers.length === 0) return;
    const task = this.taskQueue.shift();
    const worker = this.availableWorkers.shift();
    worker.currentTask = task;
    worker.postMessage(task.data);
  }

  handleWorkerResult(worker, result) {
    const task = worker.currentTask;
    if (!task) return;
    worker.currentTask = null;
    if (result.success) task.resolve(result.data);
    else task.reject(new Error(result.error));
    this.availableWorkers.push(worker);
    this.processNextTask();
  }

  replaceWorker(index) {
    this.replacedWorkers++;
    this.workers[index] = this.makeWorker(index);
    this.processNextTask();
  }

  shutdown() {
    this.shuttingDown = true;
    return Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  getStats() {
    return {
      totalWorkers: this.workers.length,
      availableWorkers: this.availableWorkers.length,
      queuedTasks: this.taskQueue.length,
    };
  }
}

// ---- WorkerThreadsMonitor and MonitoredWorkerPool ----
class WorkerThreadsMonitor {
  constructor() { this.reset(); }

  startTask() {
    this.metrics.totalTasks++;
    this.metrics.activeWorkers++;
    this.metrics.maxWorkers = Math.max(this.metrics.maxWorkers, this.metrics.activeWorkers);
    return performance.now();
  }

  endTask(startTime, success = true) {
    const taskTime = performance.now() - startTime;
    this.metrics.activeWorkers--;
    this.metrics.totalTaskTime += taskTime;
    this.taskTimes.push(taskTime);
    if (success) this.metrics.completedTasks++;
    else this.metrics.failedTasks++;
    this.metrics.averageTaskTime = this.metrics.totalTaskTime /
      (this.metrics.completedTasks + this.metrics.failedTasks);
  }

  successRate() {
    return this.metrics.totalTasks > 0 ? (this.metrics.completedTasks / this.metrics.totalTasks) * 100 : 0;
  }

  // The note's getDetailedMetrics, printed. Throughput is the note's: completed tasks per
  // second of summed task time (not of wall time).
  printDetailedMetrics() {
    const m = this.metrics;
    const sorted = [...this.taskTimes].sort((a, b) => a - b);
    const pick = (q) => (sorted.length ? sorted[Math.min(Math.floor(sorted.length * q), sorted.length - 1)] : 0);
    console.log(`  totalTasks ${m.totalTasks}, completedTasks ${m.completedTasks}, ` +
                `failedTasks ${m.failedTasks}, maxWorkers ${m.maxWorkers}`);
    console.log(`  successRate ${this.successRate().toFixed(2)}%, averageTaskTime ` +
                `${m.averageTaskTime.toFixed(1)} ms, throughput ` +
                `${(m.totalTaskTime > 0 ? m.completedTasks / (m.totalTaskTime / 1000) : 0).toFixed(2)} tasks/sec`);
    console.log(`  taskTimeStats: min ${pick(0).toFixed(1)} ms, median ${pick(0.5).toFixed(1)} ms, ` +
                `p95 ${pick(0.95).toFixed(1)} ms, p99 ${pick(0.99).toFixed(1)} ms, max ${pick(1).toFixed(1)} ms`);
  }

  reset() {
    this.metrics = { totalTasks: 0, completedTasks: 0, failedTasks: 0, averageTaskTime: 0,
                     totalTaskTime: 0, activeWorkers: 0, maxWorkers: 0 };
    this.taskTimes = [];
  }
}

class MonitoredWorkerPool extends WorkerPool {
  constructor(size, workerScript) {
    super(size, workerScript);
    this.monitor = new WorkerThreadsMonitor();
  }

  async executeTask(taskData) {
    const startTime = this.monitor.startTask();
    try {
      const result = await super.executeTask(taskData);
      this.monitor.endTask(startTime, true);
      return result;
    } catch (error) {
      this.monitor.endTask(startTime, false);
      throw error;
    }
  }
}

// ---- The demonstrations ----
const { expect, failed } = checker();
const scaled = (scale, ms) => Math.round(ms * scale);

async function demonstrateWorkerPool(scale) {
  console.log('1. WorkerPool(4): demonstrateWorkerPool');
  const pool = new WorkerPool(4, TASK_WORKER);
  const delays = [1000, 800, 1200, 600, 900];
  const start = performance.now();
  const tasks = delays.map((delay, i) => ({ id: i + 1, data: `task${i + 1}`, delay: scaled(scale, delay) }));
  const results = await Promise.all(tasks.map((task) => pool.executeTask(task)));
  console.log(`  all tasks done (${(performance.now() - start).toFixed(0)} ms): [${results.join(', ')}]`);
  expect(results.join() === 'task1 done,task2 done,task3 done,task4 done,task5 done',
         'five results, in task order');
  let stats = pool.getStats();
  console.log(`  pool stats: totalWorkers ${stats.totalWorkers}, availableWorkers ` +
              `${stats.availableWorkers}, queuedTasks ${stats.queuedTasks}`);
  expect(stats.totalWorkers === 4 && stats.availableWorkers === 4 && stats.queuedTasks === 0,
         'stats after the burst: 4 / 4 / 0');

  console.log('2. A task that crashes its worker');
  let error = '';
  try {
    await pool.executeTask({ id: 6, data: 'task6', delay: 0, crashBelow: 1 });
  } catch (e) {
    error = e.message;
  }
  expect(error === 'task 6 crashed its worker', 'the crashed task is rejected with the error');
  const after = [];
  for (let id = 7; id <= 14; id++) after.push(pool.executeTask({ id, data: `task${id}`, delay: 1 }));
  const later = await Promise.all(after);
  stats = pool.getStats();
  expect(later.length === 8 && later[7] === 'task14 done' && pool.replacedWorkers === 1 &&
         stats.totalWorkers === 4 && stats.availableWorkers === 4,
         'the worker was replaced once; 8 more tasks ran on 4 workers');
  await pool.shutdown();
}

async function demonstrateMonitoring(scale) {
  console.log('3. MonitoredWorkerPool(4): 20 tasks, 2 of them fail');
  const pool = new MonitoredWorkerPool(4, TASK_WORKER);
  const promises = [];
  for (let id = 1; id <= 20; id++) {
    promises.push(pool.executeTask({ id, data: `task${id}`, delay: scaled(scale, 100 + 50 * (id % 5)),
                                     fail: id % 10 === 0 }));
  }
  const settled = await Promise.allSettled(promises);
  const fulfilled = settled.filter((s) => s.status === 'fulfilled').length;
  pool.monitor.printDetailedMetrics();
  const m = pool.monitor.metrics;
  expect(fulfilled === 18 && m.totalTasks === 20 && m.completedTasks === 18 && m.failedTasks === 2 &&
         pool.monitor.successRate().toFixed(2) === '90.00',
         '20 tasks: 18 completed, 2 failed, success rate 90.00%');
  await pool.shutdown();
}

(async () => {
  const scale = flag('--scale', 1.0);
  try {
    await demonstrateWorkerPool(scale);
    await demonstrateMonitoring(scale);
  } catch (e) {
    expect(false, `the demo: ${e.message}`);
  }
  console.log(failed() ? 'worker pools FAILED' : 'worker pools OK');
  process.exitCode = failed() ? 1 : 0;
})();
