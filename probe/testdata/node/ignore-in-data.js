// A 'data' listener that writes every chunk on to a slow sink and ignores
// write()'s false: the writes after the first false return ignore
// backpressure.
const { Readable, Writable } = require('stream');
const sink = new Writable({ highWaterMark: 1024, write(c, e, cb) { setImmediate(cb); } });
let n = 0;
const src = new Readable({ read() { this.push(n++ < 200 ? Buffer.alloc(512) : null); } });
src.on('data', (chunk) => {
  sink.write(chunk); // MARK: ignores false
});
src.on('end', () => sink.end());
