// A source whose _read pushes a batch and ignores push()'s false.
const { Readable } = require('stream');
let n = 0;
const src = new Readable({
  highWaterMark: 1024,
  read() {
    for (let i = 0; i < 8 && n < 100; i++, n++) this.push(Buffer.alloc(512)); // MARK: ignores false
    if (n >= 100) this.push(null);
  },
});
src.on('data', () => {});
