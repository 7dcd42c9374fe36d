'use strict';
// bpbench's probe for Node programs, loaded with node --require (bpbench
// sets NODE_OPTIONS). Under bpbench it reports the V8 heap and the total
// writableLength and readableLength of the program's live streams over the
// pipe named by BPBENCH_PROBE_FD, in the line format of Go's package probe;
// run by hand it does nothing.
//
// A tight loop that never yields (the seed's ignore-backpressure.js) starves
// the event loop, so a timer in the main thread would not fire until the
// loop ends. So the main thread only publishes its figures into shared
// memory, from the patched write path (every 256 writes, at most once per
// interval) and from an idle timer, and a worker thread, which has an event
// loop of its own, writes them to the pipe on time.
(function () {
  const fdStr = process.env.BPBENCH_PROBE_FD;
  if (fdStr === undefined) return;
  const fd = Number(fdStr);
  const interval = parseInterval(process.env.BPBENCH_PROBE_INTERVAL);
  delete process.env.BPBENCH_PROBE_FD; // processes this one starts do not report
  delete process.env.BPBENCH_PROBE_INTERVAL;

  const fs = require('fs');
  const stream = require('stream');
  const { Worker } = require('worker_threads');

  // Shared figures, written by the main thread, read by the worker.
  const HEAP = 0, TOTAL = 1, BUF = 2, PEAK = 3, WRITES = 4, FALSES = 5, WRITTEN = 6, BOUND = 7, N = 8;
  const shared = new Float64Array(new SharedArrayBuffer(8 * N));

  const writables = new Set();
  const readables = new Set();
  const largest = new WeakMap(); // stream -> its largest chunk
  let writes = 0, falses = 0, written = 0, peak = 0, lastPublish = 0;

  function publish() {
    let buf = 0, bound = 0;
    for (const s of writables) {
      if (s.destroyed || s.writableFinished) { writables.delete(s); continue; }
      buf += s.writableLength || 0;
      bound += (s.writableHighWaterMark || 0) + (largest.get(s) || 0);
    }
    for (const s of readables) {
      if (s.destroyed || s.readableEnded) { readables.delete(s); continue; }
      buf += s.readableLength || 0;
    }
    if (buf > peak) peak = buf;
    const mem = process.memoryUsage();
    shared[HEAP] = mem.heapUsed;
    shared[TOTAL] = mem.heapTotal + mem.external;
    shared[BUF] = buf;
    shared[PEAK] = peak;
    shared[WRITES] = writes;
    shared[FALSES] = falses;
    shared[WRITTEN] = written;
    shared[BOUND] = bound;
    lastPublish = performance.now();
  }

  // Duplex (and so Transform, PassThrough, zlib and sockets) carries a copy
  // of Writable's methods, made when it loaded: patch both.
  function patchWrite(proto) {
    const write = proto.write;
    proto.write = function (chunk, encoding, cb) {
      const ok = write.call(this, chunk, encoding, cb);
      if (!writables.has(this)) writables.add(this);
      const n = chunk == null ? 0
        : typeof chunk === 'string' ? Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding : 'utf8')
        : chunk.length || 0;
      if (n > (largest.get(this) || 0)) largest.set(this, n);
      writes++;
      written += n;
      if (!ok) falses++;
      if ((writes & 255) === 0 && performance.now() - lastPublish >= interval) publish();
      return ok;
    };
  }
  patchWrite(stream.Writable.prototype);
  if (stream.Duplex.prototype.write !== stream.Writable.prototype.write) patchWrite(stream.Duplex.prototype);
  function patchPush(proto) {
    const push = proto.push;
    proto.push = function (chunk, encoding) {
      if (!readables.has(this)) readables.add(this);
      return push.call(this, chunk, encoding);
    };
  }
  patchPush(stream.Readable.prototype);
  if (stream.Duplex.prototype.push !== stream.Readable.prototype.push) patchPush(stream.Duplex.prototype);

  publish();
  setInterval(publish, interval).unref(); // when the event loop is free

  const worker = new Worker(`
    const { workerData } = require('worker_threads');
    const fs = require('fs');
    const s = new Float64Array(workerData.sab);
    setInterval(() => {
      const line = 's heap=' + s[0] + ' total=' + s[1] + ' buf=' + s[2] + ' peakbuf=' + s[3] +
        ' writes=' + s[4] + ' false=' + s[5] + ' written=' + s[6] + ' bound=' + s[7] + '\\n';
      try { fs.writeSync(workerData.fd, line); } catch (e) { process.exit(0); }
    }, workerData.interval);
  `, { eval: true, workerData: { sab: shared.buffer, fd, interval } });
  worker.unref();

  process.on('exit', (code) => {
    publish();
    let line = 'f heap=' + shared[HEAP] + ' total=' + shared[TOTAL] + ' buf=' + shared[BUF] + ' peakbuf=' + shared[PEAK] +
      ' writes=' + shared[WRITES] + ' false=' + shared[FALSES] + ' written=' + shared[WRITTEN] + ' bound=' + shared[BOUND];
    const hwm = vmHWM();
    if (hwm > 0) line += ' hwm=' + hwm;
    if (code) line += ' err=' + JSON.stringify('exit code ' + code);
    try { fs.writeSync(fd, line + '\n'); } catch (e) { /* the harness is gone */ }
  });

  function vmHWM() {
    try {
      const m = /\nVmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch (e) {
      return 0;
    }
  }

  // parseInterval reads a Go duration (5ms, 1m0s, 1.5s, 500us) in ms.
  function parseInterval(s) {
    const unit = { h: 3600e3, m: 60e3, s: 1e3, ms: 1, us: 1e-3, 'µs': 1e-3, ns: 1e-6 };
    const re = /([0-9.]+)(h|ms|m|s|us|µs|ns)/g;
    let ms = 0, m, seen = '';
    while ((m = re.exec(s || '')) !== null) {
      ms += Number(m[1]) * unit[m[2]];
      seen += m[0];
    }
    if (!s || seen !== s || !(ms > 0)) return 5;
    return Math.max(1, ms);
  }
})();
