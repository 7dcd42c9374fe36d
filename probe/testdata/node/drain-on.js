// A producer that waits for drain, but attaches a persistent listener with
// on() at every stall instead of once(): the listeners pile up, and every
// drain resumes the producer once per listener.
const { Writable } = require('stream');
const sink = new Writable({ highWaterMark: 1024, write(c, e, cb) { setImmediate(cb); } });
let i = 0;
function next() {
  while (i < 200) {
    i++;
    if (!sink.write(Buffer.alloc(512))) {
      sink.on('drain', next); // MARK: at every stall
      return;
    }
  }
  sink.end();
}
next();
