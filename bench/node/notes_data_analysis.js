// notes_data_analysis.js — the Node original of examples/notes/notes_data_analysis.cpp: the note's
// data-analysis server (main.js with DataAnalysisWorkerPool, data-analysis-worker.js, section
// "데이터 분석 Worker"), on node:http instead of express. The pool keeps 4 workers, a task queue
// and a list of idle workers; POST /api/analyze-data {dataset, analysisType} answers {success,
// analysisResult, analysisType, timestamp} or a 500 with the worker's error: "statistical",
// "pattern", "comprehensive"; an empty dataset and an unknown analysis type are errors.
// Two changes from the note, as in the C++ twin: the error messages are in English, and a
// worker that fails rejects its current task before it is replaced (the note's task hangs).
// The script serves on an ephemeral port (or --port), sends its own requests (one of each kind,
// the two errors, then 12 parallel requests over the 4 workers so the queue is used), checks
// every number, prints "analysis server OK" and exits.
// flag, checker, readText, request, sendJson and sortedKeys come from notes_support.js.
// Run: node notes_data_analysis.js [--port 0]
'use strict';
const http = require('http');
const { Worker, isMainThread, parentPort } = require('worker_threads');
const { flag, checker, readText, request, sendJson, sortedKeys } = require('./notes_support');

// JSON.stringify with sorted keys, so printed objects read like the twin's.
const dump = (value) => JSON.stringify(sortedKeys(value));

if (!isMainThread) {
  // ---- data-analysis-worker.js ----
  function performStatisticalAnalysis(dataset) {
    const n = dataset.length;
    if (n === 0) throw new Error('empty dataset');
    const sum = dataset.reduce((acc, val) => acc + val, 0);
    const mean = sum / n;
    const variance = dataset.reduce((acc, val) => acc + (val - mean) * (val - mean), 0) / n;
    const standardDeviation = Math.sqrt(variance);
    const sortedData = [...dataset].sort((a, b) => a - b);
    const median = n % 2 === 0
      ? (sortedData[n / 2 - 1] + sortedData[n / 2]) / 2
      : sortedData[Math.floor(n / 2)];
    const min = sortedData[0];
    const max = sortedData[n - 1];
    return { count: n, mean, median, standardDeviation, variance, min, max, range: max - min };
  }

  function performPatternAnalysis(dataset) {
    const patterns = { increasing: 0, decreasing: 0, alternating: 0, constant: 0 };
    if (dataset.length < 2) return patterns;
    let isIncreasing = true;
    let isDecreasing = true;
    let isAlternating = true;
    let isConstant = true;
    for (let i = 1; i < dataset.length; i++) {
      const current = dataset[i];
      const previous = dataset[i - 1];
      if (current <= previous) isIncreasing = false;
      if (current >= previous) isDecreasing = false;
      if (current !== previous) isConstant = false;
      if (i > 1) {
        const prevDiff = dataset[i - 1] - dataset[i - 2];
        const currentDiff = current - previous;
        if (Math.sign(prevDiff) === Math.sign(currentDiff)) isAlternating = false;
      }
    }
    if (isIncreasing) patterns.increasing = 1;
    if (isDecreasing) patterns.decreasing = 1;
    if (isAlternating) patterns.alternating = 1;
    if (isConstant) patterns.constant = 1;
    return patterns;
  }

  parentPort.on('message', (data) => {
    try {
      const { dataset, analysisType } = data;
      let analysisResult;
      switch (analysisType) {
        case 'statistical':
          analysisResult = performStatisticalAnalysis(dataset);
          break;
        case 'pattern':
          analysisResult = performPatternAnalysis(dataset);
          break;
        case 'comprehensive':
          analysisResult = {
            statistical: performStatisticalAnalysis(dataset),
            pattern: performPatternAnalysis(dataset),
          };
          break;
        default:
          throw new Error(`unknown analysis type: ${analysisType}`);
      }
      parentPort.postMessage({ success: true, analysisResult, analysisType });
    } catch (error) {
      parentPort.postMessage({ success: false, error: error.message });
    }
  });
} else {
  // ---- main.js: DataAnalysisWorkerPool ----
  class DataAnalysisWorkerPool {
    constructor(size = 4) {
      this.workers = [];
      this.taskQueue = [];
      this.availableWorkers = [];
      this.tasksDone = 0;
      for (let i = 0; i < size; i++) this.workers.push(this.makeWorker(i));
    }

    makeWorker(index) {
      const worker = new Worker(__filename);
      worker.on('message', (result) => this.handleWorkerResult(worker, result));
      worker.on('error', (error) => {
        console.log(`  worker ${index} error: ${error.message}`);
        this.replaceWorker(worker, error);
      });
      this.availableWorkers.push(worker);
      return worker;
    }

    analyzeData(dataset, analysisType) {
      return new Promise((resolve, reject) => {
        this.taskQueue.push({ dataset, analysisType, resolve, reject });
        this.processNextTask();
      });
    }

    processNextTask() {
      if (this.taskQueue.length === 0 || this.availableWorkers.length === 0) return;
      const task = this.taskQueue.shift();
      const worker = this.availableWorkers.shift();
      worker.currentTask = task;
      worker.postMessage({ dataset: task.dataset, analysisType: task.analysisType });
    }

    handleWorkerResult(worker, result) {
      const task = worker.currentTask;
      if (result.success) task.resolve(result.analysisResult);
      else task.reject(new Error(result.error));
      worker.currentTask = null;
      this.tasksDone++;
      this.availableWorkers.push(worker);
      this.processNextTask();
    }

    // A failed worker is replaced by a new one in the same place; its task fails.
    replaceWorker(failedWorker, error) {
      if (failedWorker.currentTask) failedWorker.currentTask.reject(error);
      failedWorker.currentTask = null;
      this.availableWorkers = this.availableWorkers.filter((w) => w !== failedWorker);
      const index = this.workers.indexOf(failedWorker);
      if (index !== -1) {
        this.workers[index] = this.makeWorker(index);
        this.processNextTask();
      }
    }

    shutdown() {
      return Promise.all(this.workers.map((worker) => worker.terminate()));
    }
  }

  const workerPool = new DataAnalysisWorkerPool(4);

  // app.post('/api/analyze-data', ...)
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/api/analyze-data') {
      return sendJson(res, 404, { success: false, error: 'not found' });
    }
    readText(req).then(async (text) => {
      let body;
      try { body = JSON.parse(text); } catch { body = null; }
      if (!body || !Array.isArray(body.dataset)) {
        return sendJson(res, 400, { success: false, error: 'expected {dataset: [numbers], analysisType}' });
      }
      const analysisType = typeof body.analysisType === 'string' ? body.analysisType : '';
      try {
        const result = await workerPool.analyzeData(body.dataset, analysisType);
        sendJson(res, 200, { success: true, analysisResult: result, analysisType,
                             timestamp: new Date().toISOString() });
      } catch (error) {
        sendJson(res, 500, { success: false, error: error.message });
      }
    });
    return undefined;
  });

  // POST /api/analyze-data: a promise of [status, parsed body].
  const analyze = (port, dataset, analysisType) =>
    request(port, 'POST', '/api/analyze-data', JSON.stringify({ dataset, analysisType }),
            { 'Content-Type': 'application/json' })
      .then(({ status, body }) => [status, JSON.parse(body)]);

  const { expect, failed } = checker();

  server.listen(flag('--port', 0), '127.0.0.1', async () => {
    const port = server.address().port;
    console.log(`data analysis server listening on port ${port}`);
    try {
      const oneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
      const [s1, stats] = await analyze(port, oneToTen, 'statistical');
      console.log('  statistical [1..10] -> ' + dump(stats.analysisResult));
      const st = stats.analysisResult;
      expect(s1 === 200 && st.count === 10 && st.mean === 5.5 && st.median === 5.5 &&
             st.variance === 8.25 && st.min === 1 && st.max === 10 && st.range === 9 &&
             Math.abs(st.standardDeviation - Math.sqrt(8.25)) < 1e-12,
             'statistical: count, mean, median, variance, sd, min, max, range');

      const [s2, pattern] = await analyze(port, [3, 1, 4, 1, 5], 'pattern');
      console.log('  pattern [3,1,4,1,5] -> ' + dump(pattern.analysisResult));
      expect(s2 === 200 && dump(pattern.analysisResult) ===
             dump({ increasing: 0, decreasing: 0, alternating: 1, constant: 0 }), 'pattern: alternating');

      const [s3, both] = await analyze(port, oneToTen, 'comprehensive');
      expect(s3 === 200 && both.analysisResult.pattern.increasing === 1 &&
             both.analysisResult.statistical.mean === 5.5, 'comprehensive: statistical + pattern');

      const [s4, empty] = await analyze(port, [], 'statistical');
      console.log(`  statistical [] -> ${s4} ${dump(empty)}`);
      expect(s4 === 500 && empty.error === 'empty dataset', 'empty dataset is an error');

      const [s5, unknown] = await analyze(port, oneToTen, 'fourier');
      expect(s5 === 500 && unknown.error === 'unknown analysis type: fourier',
             'unknown analysis type is an error');

      // A burst of 12 parallel requests over 4 workers: the pool's queue holds the rest.
      const means = await Promise.all(Array.from({ length: 12 }, (_, i) =>
        analyze(port, Array.from({ length: i + 1 }, (__, k) => k), 'statistical')
          .then(([, body]) => body.analysisResult.mean)));
      expect(means.every((m, i) => m === i / 2), '12 parallel requests over 4 workers: every mean right');
    } catch (e) {
      expect(false, `the client: ${e.message}`);
    }
    server.close(async () => {
      await workerPool.shutdown();
      console.log(`tasks done by the pool: ${workerPool.tasksDone}`);
      console.log(failed() ? 'analysis server FAILED' : 'analysis server OK');
      process.exitCode = failed() ? 1 : 0;
    });
  });
}
