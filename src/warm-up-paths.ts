// The requests the build runs through the app before any real one, so that the code a request
// takes is compiled ahead of time: into the startup snapshot (snapshot/warm-up.ts) and into the
// bundle's V8 code cache (scripts/make-code-cache.cjs, which imports the built dist/ copy).

/** What a per-connection instance is asked for most; each must answer 200. */
export const WARM_UP_PATHS = ['/roll', '/roll?dice=2d6+1', '/healthz']

/** Those and the error answers (a bad dice, an unknown parameter, no such route): for the code cache. */
export const CODE_CACHE_PATHS = [...WARM_UP_PATHS, '/roll?dice=x', '/roll?x=1', '/nope']
