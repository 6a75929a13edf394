'use strict'
// The CommonJS entry: the ES module itself through Node's require(esm) (on by default since
// Node 20.19 and 22.12), so `require('seqtorch')` and `import 'seqtorch'` share one copy of every
// class and `instanceof` holds across both. A second, transpiled CommonJS copy would break that.
try {
  module.exports = require('../dist/index.js')
} catch (error) {
  if (error && (error.code === 'ERR_REQUIRE_ESM' || error.code === 'ERR_REQUIRE_ASYNC_MODULE')) {
    throw new Error(
      `seqtorch is an ES module: require('seqtorch') needs Node.js 20.19+ or 22.12+ (this is ${process.version}); ` +
        "use `import ... from 'seqtorch'` or `await import('seqtorch')`.",
      { cause: error },
    )
  }
  throw error
}
