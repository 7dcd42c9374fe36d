'use strict';
// bpbench's probe for Node programs, loaded with node --require (bpbench
// sets NODE_OPTIONS). Under bpbench it reports the V8 heap and the total
// writableLength and readableLength of the program's live streams over the
// pipe named by BPBENCH_PROBE_FD, in the line format of Go's package probe;
// run by hand it does nothing. It also counts what ignores backpressure (a
// write() while writableNeedDrain, a push() after push() returned false, a
// second persistent 'drain' listener), each with its first call site, and
// the drain waits (from a false return to that stream's 'drain').
//
// A tight loop that never yields (the backpressure guide's
// ignore-backpressure.js) starves
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
  const HEAP = 0, TOTAL = 1, BUF = 2, PEAK = 3, WRITES = 4, FALSES = 5, WRITTEN = 6, BOUND = 7,
    DRAINS = 8, DRAINWAIT = 9, WAF = 10, WAFBYTES = 11, XDRAIN = 12, PAF = 13, PAFBYTES = 14, N = 15;
  const shared = new Float64Array(new SharedArrayBuffer(8 * N));
  // The pipe's owner: 0 free, 1 the worker is writing a sample, 2 the main
  // thread has written the final report (nothing may follow it).
  const owner = new Int32Array(new SharedArrayBuffer(4));

  const writables = new Set();
  const readables = new Set();
  const wstate = new WeakMap(); // writable -> { largest, since, onDrain, listeners }
  const rstate = new WeakMap(); // readable -> { refused, internal }
  let writes = 0, falses = 0, written = 0, peak = 0, lastPublish = 0;
  let drains = 0, drainWait = 0; // drainWait in ms
  let waf = 0, wafBytes = 0, xdrain = 0, paf = 0, pafBytes = 0;
  const sites = { waf: '', xdrain: '', paf: '' }; // the first call site of each, as keys of a line

  function publish() {
    let buf = 0, bound = 0;
    for (const s of writables) {
      if (s.destroyed || s.writableFinished) { writables.delete(s); continue; }
      buf += s.writableLength || 0;
      bound += (s.writableHighWaterMark || 0) + wstate.get(s).largest;
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
    shared[DRAINS] = drains;
    shared[DRAINWAIT] = Math.round(drainWait * 1e6);
    shared[WAF] = waf;
    shared[WAFBYTES] = wafBytes;
    shared[XDRAIN] = xdrain;
    shared[PAF] = paf;
    shared[PAFBYTES] = pafBytes;
    lastPublish = performance.now();
  }

  // size is a chunk's length in its stream's unit: bytes (a string's in
  // its encoding), or 1 for an object-mode stream.
  function size(chunk, encoding, objectMode) {
    if (objectMode) return 1;
    return chunk == null ? 0
      : typeof chunk === 'string' ? Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding : 'utf8')
      : chunk.length || 0;
  }

  // A write made while the stream owes a drain (write() returned false and
  // 'drain' has not fired) ignores backpressure: it counts, and the first
  // one's call site is kept. The time from a false return to 'drain' is
  // the stream's drain wait, measured by a listener that runs before the
  // program's own.
  function newWState(s) {
    const st = { largest: 0, since: -1, onDrain: null, listeners: null };
    st.onDrain = () => {
      drains++;
      drainWait += performance.now() - st.since;
      st.since = -1;
    };
    wstate.set(s, st);
    writables.add(s);
    return st;
  }
  // Duplex (and so Transform, PassThrough, zlib and sockets) carries a copy
  // of Writable's methods, made when it loaded: patch both.
  function patchWrite(proto) {
    const write = proto.write;
    const patched = function (chunk, encoding, cb) {
      const owed = this.writableNeedDrain === true;
      const ok = write.call(this, chunk, encoding, cb);
      const st = wstate.get(this) || newWState(this);
      const n = size(chunk, encoding, false);
      if (n > st.largest) st.largest = n;
      writes++;
      written += n;
      if (!ok) {
        falses++;
        if (st.since < 0 && !this.destroyed) {
          st.since = performance.now();
          this.prependOnceListener('drain', st.onDrain);
        }
      }
      // A write Node's own http layer makes on its socket (a response's
      // chunk framing, say) is the response's doing: the response's write
      // is judged by its own writableNeedDrain (patchOutgoing), not twice.
      if (owed && outgoing === 0) {
        waf++;
        wafBytes += this.writableObjectMode ? 1 : n;
        if (sites.waf === '') setSite('waf', callSite(patched));
      }
      if ((writes & 255) === 0 && performance.now() - lastPublish >= interval) publish();
      return ok;
    };
    proto.write = patched;
  }
  patchWrite(stream.Writable.prototype);
  if (stream.Duplex.prototype.write !== stream.Writable.prototype.write) patchWrite(stream.Duplex.prototype);

  // An HTTP response (http.OutgoingMessage) is no stream.Writable, but
  // res.write() returns false and 'drain' follows like one: a res.write()
  // while the response owes a drain ignores backpressure, and counts; the
  // socket writes Node makes under it do not count again.
  let outgoing = 0;
  function patchOutgoing(proto) {
    const write = proto.write;
    const patched = function (chunk, encoding, cb) {
      const owed = this.writableNeedDrain === true;
      outgoing++;
      let ok;
      try {
        ok = write.call(this, chunk, encoding, cb);
      } finally {
        outgoing--;
      }
      if (owed) {
        waf++;
        wafBytes += size(chunk, encoding, false);
        if (sites.waf === '') setSite('waf', callSite(patched));
      }
      return ok;
    };
    proto.write = patched;
  }
  patchOutgoing(require('http').OutgoingMessage.prototype);

  // A push() made after push() returned false and before the stream asked
  // for more (_read) ignores backpressure too. Node's own streams (sockets,
  // zlib) push what they already hold: a stream whose first such push
  // comes from Node's internals is Node's, and is not counted.
  function patchPush(proto) {
    const push = proto.push;
    const patched = function (chunk, encoding) {
      let st = rstate.get(this);
      if (st === undefined) {
        st = { refused: false, internal: false };
        rstate.set(this, st);
        readables.add(this);
      }
      const rs = this._readableState;
      const owed = st.refused && !(rs && rs.reading);
      const ok = push.call(this, chunk, encoding);
      if (chunk !== null && chunk !== undefined) {
        if (owed && !st.internal) {
          const at = callSite(patched);
          if (at.internal) st.internal = true;
          else {
            paf++;
            pafBytes += size(chunk, encoding, this.readableObjectMode);
            if (sites.paf === '') setSite('paf', at);
          }
        }
        st.refused = !ok;
      }
      return ok;
    };
    proto.push = patched;
  }
  patchPush(stream.Readable.prototype);
  if (stream.Duplex.prototype.push !== stream.Readable.prototype.push) patchPush(stream.Duplex.prototype);

  // A persistent 'drain' listener (on, addListener) attached while one the
  // program attached earlier is still there: the listener added at every
  // stall instead of once. once() listeners and Node's own (pipe) do not
  // count. Readable (and so Duplex) has its own on; Writable has
  // EventEmitter's.
  function patchOn(proto) {
    const on = proto.on;
    const patched = function (ev, fn) {
      if (ev === 'drain' && typeof fn === 'function' && fn.listener === undefined) drainListener(this, fn, patched);
      return on.call(this, ev, fn);
    };
    proto.on = patched;
    proto.addListener = patched;
  }
  function drainListener(s, fn, skip) {
    const at = callSite(skip);
    if (at.internal) return;
    const st = wstate.get(s) || newWState(s);
    if (st.listeners !== null) {
      const attached = s.rawListeners('drain');
      st.listeners = st.listeners.filter((f) => attached.includes(f));
      if (st.listeners.length > 0) {
        xdrain++;
        if (sites.xdrain === '') setSite('xdrain', at);
      }
    } else {
      st.listeners = [];
    }
    st.listeners.push(fn);
  }
  patchOn(stream.Writable.prototype);
  patchOn(stream.Readable.prototype);

  // callSite is where the program called: the first frame of the stack
  // outside Node's internals and this file, above skip. internal says the
  // call itself came from Node's internals (the first frame outside this
  // file is Node's).
  const url = require('url');
  function callSite(skip) {
    const prepare = Error.prepareStackTrace, limit = Error.stackTraceLimit;
    const holder = {};
    let frames;
    try {
      Error.prepareStackTrace = (e, f) => f;
      Error.stackTraceLimit = 32;
      Error.captureStackTrace(holder, skip);
      frames = holder.stack; // formatted now, with the prepareStackTrace above
    } finally {
      Error.prepareStackTrace = prepare;
      Error.stackTraceLimit = limit;
    }
    const at = { internal: false, file: '', line: 0, func: '' };
    if (!Array.isArray(frames)) return at;
    let first = true;
    for (const f of frames) {
      const file = f.getFileName();
      if (file === __filename) continue;
      const internal = !file || file.startsWith('node:');
      if (first) at.internal = internal;
      first = false;
      if (internal) continue;
      at.file = file.startsWith('file:') ? url.fileURLToPath(file) : file;
      at.line = f.getLineNumber() || 0;
      const fn = f.getFunctionName();
      const type = f.isToplevel() ? null : f.getTypeName();
      at.func = (type ? type + '.' : '') + (fn || f.getMethodName() || '<anonymous>');
      break;
    }
    return at;
  }

  // setSite keeps the first call site of a kind as the keys of a line and
  // hands them to the worker.
  function setSite(kind, at) {
    if (at.file === '') return;
    sites[kind] = ' ' + kind + 'file=' + quote(at.file, 384, true) + ' ' + kind + 'line=' + at.line +
      ' ' + kind + 'func=' + quote(at.func, 192, false);
    worker.postMessage(sites);
  }

  // quote writes s as a Go double-quoted string (what strconv.Unquote
  // reads): no raw quote, backslash, newline or other control character
  // survives, so a path cannot end the value or the line. It is cut to
  // limit bytes of quoted text, keeping s's end (a path's file name) when
  // keepTail, else its start, and marking the cut with '…'.
  function quote(s, limit, keepTail) {
    const pieces = [];
    let total = 2;
    for (const ch of String(s)) {
      const c = ch.codePointAt(0);
      const p = ch === '"' ? '\\"' : ch === '\\' ? '\\\\' : ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : ch === '\t' ? '\\t'
        : c < 0x20 || c === 0x7f ? '\\x' + c.toString(16).padStart(2, '0')
        : c >= 0xd800 && c <= 0xdfff ? '\\ufffd' // a lone surrogate
        : ch;
      pieces.push(p);
      total += Buffer.byteLength(p);
    }
    if (total <= limit) return '"' + pieces.join('') + '"';
    let budget = limit - 2 - 3; // the quotes and '…'
    const kept = [];
    if (keepTail) pieces.reverse();
    for (const p of pieces) {
      const n = Buffer.byteLength(p);
      if (n > budget) break;
      budget -= n;
      kept.push(p);
    }
    if (keepTail) return '"…' + kept.reverse().join('') + '"';
    return '"' + kept.join('') + '…"';
  }

  const worker = new Worker(`
    const { workerData, parentPort } = require('worker_threads');
    const fs = require('fs');
    const s = new Float64Array(workerData.sab);
    const owner = new Int32Array(workerData.owner);
    let sites = { waf: '', xdrain: '', paf: '' };
    parentPort.on('message', (m) => { sites = m; });
    parentPort.unref();
    setInterval(() => {
      const line = 's heap=' + s[0] + ' total=' + s[1] + ' buf=' + s[2] + ' peakbuf=' + s[3] +
        ' writes=' + s[4] + ' false=' + s[5] + ' written=' + s[6] + ' bound=' + s[7] +
        ' drains=' + s[8] + ' drainwait=' + s[9] +
        ' waf=' + s[10] + ' wafbytes=' + s[11] + sites.waf + ' xdrain=' + s[12] + sites.xdrain +
        ' paf=' + s[13] + ' pafbytes=' + s[14] + sites.paf + '\\n';
      if (Atomics.compareExchange(owner, 0, 0, 1) !== 0) return; // the final report is out
      try { fs.writeSync(workerData.fd, line); } catch (e) { process.exit(0); }
      Atomics.store(owner, 0, 0);
      Atomics.notify(owner, 0);
    }, workerData.interval);
  `, { eval: true, workerData: { sab: shared.buffer, owner: owner.buffer, fd, interval } });
  worker.unref();

  publish();
  setInterval(publish, interval).unref(); // when the event loop is free

  process.on('exit', (code) => {
    publish();
    let line = 'f heap=' + shared[HEAP] + ' total=' + shared[TOTAL] + ' buf=' + shared[BUF] + ' peakbuf=' + shared[PEAK] +
      ' writes=' + shared[WRITES] + ' false=' + shared[FALSES] + ' written=' + shared[WRITTEN] + ' bound=' + shared[BOUND] +
      ' drains=' + shared[DRAINS] + ' drainwait=' + shared[DRAINWAIT] +
      ' waf=' + shared[WAF] + ' wafbytes=' + shared[WAFBYTES] + sites.waf + ' xdrain=' + shared[XDRAIN] + sites.xdrain +
      ' paf=' + shared[PAF] + ' pafbytes=' + shared[PAFBYTES] + sites.paf;
    const hwm = vmHWM();
    if (hwm > 0) line += ' hwm=' + hwm;
    if (code) line += ' err=' + JSON.stringify('exit code ' + code);
    // Take the pipe from the worker, waiting out a sample it is writing,
    // so that the final report is the last line.
    const deadline = Date.now() + 1000;
    while (Atomics.compareExchange(owner, 0, 0, 2) === 1 && Date.now() < deadline) Atomics.wait(owner, 0, 1, 1);
    Atomics.store(owner, 0, 2);
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
