// pipeline(read, gzip, write) with a slow sink: Node's own streams honour
// backpressure, so nothing is counted, however Node's internals push.
const { pipeline, Readable, Writable } = require('stream');
const zlib = require('zlib');
let n = 0, x = 1;
const src = new Readable({
  read() {
    if (n++ >= 500) return this.push(null);
    const b = Buffer.alloc(4096);
    for (let i = 0; i < b.length; i++) b[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24; // incompressible
    this.push(b);
  },
});
const sink = new Writable({ highWaterMark: 4096, write(c, e, cb) { setImmediate(cb); } });
pipeline(src, zlib.createGzip(), sink, (err) => { if (err) throw err; });
