// notes_task_worker.js — the notes' './task-worker.js' (used by the note's WorkerPool and
// RobustWorkerManager without being shown), the worker script of notes_worker_pool.js and
// notes_robust_worker.js; the twin of examples/notes/notes_task_worker.hpp. A task {id, data,
// delay} is answered after `delay` ms with {success: true, data: "<data> done"}; `fail` answers
// {success: false, error}, and `crashBelow` throws an uncaught error while `attempt < crashBelow`
// (the worker dies).
// Run: started by those scripts as new Worker(path.join(__dirname, 'notes_task_worker.js')).
'use strict';
const { isMainThread, parentPort } = require('worker_threads');

if (isMainThread) {
  console.error('notes_task_worker.js is a worker script: run notes_worker_pool.js or notes_robust_worker.js');
  process.exit(2);
}

parentPort.on('message', (task) => {
  if ((task.attempt || 0) < (task.crashBelow || 0)) {
    throw new Error(`task ${task.id} crashed its worker`);
  }
  setTimeout(() => {
    parentPort.postMessage(task.fail
      ? { success: false, error: `task ${task.id} failed` }
      : { success: true, data: `${task.data} done` });
  }, task.delay);
});
