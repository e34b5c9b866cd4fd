// notes_image_worker.js — the Node original of examples/notes/notes_image_worker.cpp: the note's
// image-processing server (main.js and image-worker.js, section "이미지 처리 Worker"), on
// node:http instead of express. POST /api/process-image {imageData, operations} starts a worker
// for the request, which applies the operations in order and posts {success, processedImage,
// operations} or {success: false, error} for an unknown operation; the handler answers 200 with
// the processed image or 500 with the worker's error, and terminates the worker. GET / lists
// the endpoints.
// As in the C++ twin, the operations do real work on a synthetic grayscale image (imageData
// {name, width, height}: a gradient with a checker pattern) instead of renaming a string:
// resize halves each side (2x2 box average), filter is a 3x3 blur, compress quantizes to 16
// levels and run-length encodes, enhance stretches the contrast to 0..255; the answer keeps
// the note's name and adds the size, the mean, a checksum (64-bit, wrapping) and the
// compressed size, the same numbers as the twin's.
// The script serves on an ephemeral port (or --port), sends its own requests (GET /, four
// operations, an unknown operation), checks the answers, prints "image server OK" and exits.
// flag, checker, readText, request, sendJson and sortedKeys come from notes_support.js.
// Run: node notes_image_worker.js [--port 0]
'use strict';
const http = require('http');
const { Worker, isMainThread, parentPort } = require('worker_threads');
const { flag, checker, readText, request, sendJson, sortedKeys } = require('./notes_support');

// JSON with 64-bit integers: BigInts are written as plain digits, and long integer literals are
// read back as BigInts. dump() also sorts the keys, so printed objects read like the twin's.
const BIG = '__big:';
function stringify(value) {
  return JSON.stringify(value, (k, v) => (typeof v === 'bigint' ? BIG + v : v))
    .replace(new RegExp(`"${BIG}(\\d+)"`, 'g'), '$1');
}
function parse(text) {
  return JSON.parse(text.replace(/([:[,])(\d{16,})(?=[,\]}])/g, `$1"${BIG}$2"`),
    (k, v) => (typeof v === 'string' && v.startsWith(BIG) ? BigInt(v.slice(BIG.length)) : v));
}
const dump = (value) => stringify(sortedKeys(value));

if (!isMainThread) {
  // ---- image-worker.js ----
  const makeImage = (width, height) => ({ width, height, pixels: new Uint8Array(width * height),
                                          compressedBytes: 0 });
  const at = (img, x, y) => {
    x = Math.min(Math.max(x, 0), img.width - 1);
    y = Math.min(Math.max(y, 0), img.height - 1);
    return img.pixels[y * img.width + x];
  };
  const copy = (img) => ({ ...img, pixels: Uint8Array.from(img.pixels) });

  function syntheticImage(width, height) {
    if (!Number.isInteger(width) || !Number.isInteger(height) ||
        width < 1 || height < 1 || width > 4096 || height > 4096) {
      throw new Error('imageData: width and height must be in 1..4096');
    }
    const img = makeImage(width, height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {  // a soft gradient with a checker pattern on top
        img.pixels[y * width + x] = 40 + Math.trunc((x * 100) / width) +
          Math.trunc((y * 60) / height) + ((Math.trunc(x / 8) + Math.trunc(y / 8)) % 2 ? 20 : 0);
      }
    }
    return img;
  }

  function resize(img) {  // half size, each pixel the mean of a 2x2 block
    const out = makeImage(Math.max(1, Math.trunc(img.width / 2)), Math.max(1, Math.trunc(img.height / 2)));
    for (let y = 0; y < out.height; y++) {
      for (let x = 0; x < out.width; x++) {
        const sum = at(img, 2 * x, 2 * y) + at(img, 2 * x + 1, 2 * y) +
                    at(img, 2 * x, 2 * y + 1) + at(img, 2 * x + 1, 2 * y + 1);
        out.pixels[y * out.width + x] = Math.trunc(sum / 4);
      }
    }
    return out;
  }

  function filter(img) {  // 3x3 box blur
    const out = copy(img);
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) sum += at(img, x + dx, y + dy);
        out.pixels[y * img.width + x] = Math.trunc(sum / 9);
      }
    }
    return out;
  }

  function compress(img) {  // 16 gray levels, then run-length encoded (2 bytes a run)
    const out = copy(img);
    let runs = 0;
    for (let i = 0; i < out.pixels.length; i++) {
      out.pixels[i] = Math.trunc(out.pixels[i] / 16) * 16 + 8;
      if (i === 0 || out.pixels[i] !== out.pixels[i - 1]) runs++;
    }
    out.compressedBytes = runs * 2;
    return out;
  }

  function enhance(img) {  // stretch the contrast to the full 0..255 range
    const out = copy(img);
    let low = 255, high = 0;
    for (const p of img.pixels) { if (p < low) low = p; if (p > high) high = p; }
    const span = Math.max(1, high - low);
    for (let i = 0; i < out.pixels.length; i++) out.pixels[i] = Math.trunc(((out.pixels[i] - low) * 255) / span);
    return out;
  }

  // processImage: throws for an unknown operation, as the note's does.
  function processImage(imageData, operations) {
    let name = imageData.name ?? 'image';
    let img = syntheticImage(imageData.width ?? 256, imageData.height ?? 256);
    operations.forEach((operation) => {
      switch (operation.type) {
        case 'resize': img = resize(img); name = `resized_${name}`; break;
        case 'filter': img = filter(img); name = `filtered_${name}`; break;
        case 'compress': img = compress(img); name = `compressed_${name}`; break;
        case 'enhance': img = enhance(img); name = `enhanced_${name}`; break;
        default: throw new Error(`Unknown operation: ${operation.type ?? ''}`);
      }
    });
    let sum = 0;
    let checksum = 0n;
    for (const p of img.pixels) {
      sum += p;
      checksum = BigInt.asUintN(64, checksum * 31n + BigInt(p));
    }
    return { name, width: img.width, height: img.height, mean: sum / img.pixels.length,
             checksum, compressedBytes: img.compressedBytes };
  }

  parentPort.on('message', (data) => {
    try {
      const { imageData, operations } = data;
      console.log('  [worker] image processing start: ' + JSON.stringify(operations));
      const processedImage = processImage(imageData, operations);
      parentPort.postMessage({ success: true, processedImage, operations });
      console.log('  [worker] image processing done');
    } catch (error) {
      parentPort.postMessage({ success: false, error: error.message });
    }
  });
} else {
  // ---- main.js ----
  function processImageWithWorker(imageData, operations) {
    return new Promise((resolve, reject) => {
      const worker = new Worker(__filename);
      worker.on('message', (result) => {
        if (result.success) resolve(result.processedImage);
        else reject(new Error(result.error));
        worker.terminate();
      });
      worker.on('error', (error) => {
        reject(error);
        worker.terminate();
      });
      worker.on('exit', (code) => {  // after a result this rejection is ignored
        if (code !== 0) reject(new Error(`Worker exited with code ${code}`));
      });
      worker.postMessage({ imageData, operations });
    });
  }

  const answer = (res, status, value) => sendJson(res, status, value, stringify);

  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/') {
      return answer(res, 200, {
        message: 'Image Processing Server with Worker Threads',
        endpoints: { 'POST /api/process-image': 'process an image' },
      });
    }
    if (req.method === 'POST' && req.url === '/api/process-image') {
      readText(req).then(async (text) => {
        let body;
        try { body = JSON.parse(text); } catch { body = null; }
        if (!body || typeof body !== 'object' || !('imageData' in body) || !('operations' in body)) {
          return answer(res, 400, { success: false, error: 'expected {imageData, operations}' });
        }
        try {
          const result = await processImageWithWorker(body.imageData, body.operations);
          answer(res, 200, { success: true, processedImage: result, timestamp: new Date().toISOString() });
        } catch (error) {
          answer(res, 500, { success: false, error: error.message });
        }
      });
      return undefined;
    }
    return answer(res, 404, { success: false, error: 'not found' });
  });

  const post = (port, path, body) =>
    request(port, 'POST', path, body, { 'Content-Type': 'application/json' });
  const { expect, failed } = checker();

  server.listen(flag('--port', 0), '127.0.0.1', async () => {
    const port = server.address().port;
    console.log(`image server listening on port ${port}`);
    try {
      const index = await request(port, 'GET', '/');
      expect(index.status === 200 && 'endpoints' in JSON.parse(index.body), 'GET /');

      const good = await post(port, '/api/process-image', JSON.stringify({
        imageData: { name: 'photo', width: 64, height: 48 },
        operations: [{ type: 'resize' }, { type: 'filter' }, { type: 'compress' }, { type: 'enhance' }],
      }));
      const image = parse(good.body).processedImage;
      console.log(`  ${good.status} -> ${dump(image)}`);
      expect(good.status === 200 && image.name === 'enhanced_compressed_filtered_resized_photo' &&
             image.width === 32 && image.height === 24 && image.compressedBytes > 0,
             'four operations: name, size and compression');

      const err = await post(port, '/api/process-image', JSON.stringify({
        imageData: { name: 'photo' },
        operations: [{ type: 'resize' }, { type: 'sharpen' }],
      }));
      console.log(`  ${err.status} -> ${err.body}`);
      expect(err.status === 500 && JSON.parse(err.body).error === 'Unknown operation: sharpen',
             'an unknown operation is an error reply');
    } catch (e) {
      expect(false, `the client: ${e.message}`);
    }
    server.close(() => {
      console.log(failed() ? 'image server FAILED' : 'image server OK');
      process.exitCode = failed() ? 1 : 0;
    });
  });
}
