// The fixed prose of docs/benchmarks.md: how the fast start works and what it costs to keep.
export const HOW_IT_WORKS = `## How diceroll starts fast

\`npm run build\` (scripts/build.mjs) makes, next to tsc's plain modules in dist/:

1. **dist/diceroll.cjs**: every module, Fastify and pino included, in one minified file (esbuild),
   so Node resolves and reads one file instead of hundreds.
2. **dist/diceroll.cjs.cache**: V8's code cache for it, made after the bundle has served a few real
   requests (scripts/make-code-cache.cjs), so the functions a request needs are compiled already.
   dist/launch.cjs runs the bundle with it; a missing or refused cache means compiling again,
   slower but the same service, and the debug log line \`started\` says why.
3. **Load only what is used.** Fastify compiles route schemas with Ajv and sets up
   fast-json-stringify at \`ready()\` (~600 kB of code and data). src/schema-compilers.ts validates
   our flat query-string schemas itself, with the error objects Ajv gives under Fastify's options
   (test/schema-compilers.ts compares the two on every corner), and loads Ajv or
   fast-json-stringify only for a schema it cannot handle. In the bundle those two, type-is (and
   its 200 kB mime-db table), pino's thread-stream and proxy-addr are stand-ins that load the real
   package on first use (scripts/esbuild-plugins.mjs). Blob 7.5 → 6.5 MB, peak RSS −3 MB.
4. **A quick fd probe.** Per-connection mode only needs to know that its socket is not a
   listener. Reading all of /proc/net/tcp (one row per TCP socket of the host, TIME_WAIT included)
   cost a start ~35 ms on this machine with 8,500 rows; the kernel lists listeners first, so
   src/fd-quick.ts reads only that block, and skips /proc/net/tcp6 when /proc/net/sockstat6
   counts no IPv6 TCP socket (reading even an empty tcp6 walks the whole connection hash, ~4 ms).
   Listener mode probes quickly too; the full probe runs only to explain a wrong fd.
5. **dist/diceroll.blob**: a V8 startup snapshot (\`node --build-snapshot\`) whose heap holds the
   whole app **built and \`ready()\`**: plugins registered, routes compiled, the JSON-schema
   validator compiled. What depends on the run is left out and filled in when main.ts calls
   \`buildApp()\` (src/snapshot/):
   - node:http cannot be in a Node 20 snapshot, so the app gets a stand-in server through
     Fastify's \`serverFactory\` option; the real \`http.Server\` is made at run time around Fastify's
     own request handler, with Fastify's timeouts, and the stand-in forwards to it from then on.
     Fastify's \`close()\` does not close servers it did not listen() on; a \`preClose\` hook does.
   - the logger is a forwarder to the pino logger made at run time (level, pid from the config
     and the process); a request's child logger is made from it when the request first logs
     through it (src/request-log.ts), and the request line itself is written by hand.
   - nothing at build time touches randomness, pid, env or config, and no request is run through
     the app (a request would fill \`crypto.randomInt\`'s random cache, and every instance would then
     roll the same numbers). test/snapshot.ts proves it: three instances from one blob give three
     different sets of 100 rolls and log the pids systemd-socket-activate gave them.
   - at build time node:http/https/http2/dns are lazy stand-ins (scripts/esbuild-plugins.mjs), and
     depd, which inspects call sites at load, is a no-op (its warnings concern APIs we don't call).
   - \`import.meta.url\` (notify.ts finds its native addon by it) is read at run time from
     \`process.argv[1]\`, which the launcher sets to dist/launch.cjs.
6. **dist/diceroll**: the launcher the units run, a 10-line \`/bin/sh\` script that \`exec\`s node
   (same pid, so \`LISTEN_PID\` still matches). A blob only works with the exact node binary that
   built it (another one exits with status 14 before running any of our code), so the build
   hard-links that binary as dist/.node and the launcher checks \`[ node -ef dist/.node ]\`: no extra
   process. After a Node upgrade the check fails and the launcher runs dist/launch.cjs (bundle +
   code cache) until \`npm run build\` is run again; the debug log says so.

No V8 flag is on the command line: flags make Node refuse its own built-in code cache, and
\`--no-rehash-snapshot\` (measured above) would give every instance the same hash seed, which
weakens V8's defence against hash-flooding for a small gain: not shipped.
`
