// depd (via http-errors) inspects call sites with Error.prepareStackTrace at module load, which
// the snapshot builder rejects; its deprecation warnings are for http-errors' own old APIs, which
// we don't call. noDepd() (scripts/esbuild-plugins.mjs) bundles this in its place.
'use strict'

module.exports = function depd() {
  function deprecate() {}
  deprecate.function = (fn) => fn
  deprecate.property = () => {}
  return deprecate
}
