// The backpressure guide's drain-aware example, as the guide shows it: a
// million lines to a file, waiting for drain whenever write() returns false.
const { createWriteStream } = require("node:fs");
const dest = createWriteStream(process.argv[2] || "big-output.txt");
function writeChunks(stream, total) {
  let i = 0;
  function next() {
    let ok = true;
    while (i < total && ok) {
      const last = i === total - 1;
      const chunk = `line ${i}\n`;
      ok = last ? stream.write(chunk, "utf8", () => stream.end())
                : stream.write(chunk, "utf8");
      i++;
    }
    if (i < total) stream.once("drain", next);
  }
  next();
}
writeChunks(dest, Number(process.argv[3] || 1_000_000));
