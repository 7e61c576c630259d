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
   The snapshot's bundle leaves those packages out altogether, and light-my-request (Fastify's
   \`inject()\`, for tests) too: a snapshot heap keeps the whole source of its bundle, run or not,
   and every instance deserializes it. Their stand-ins load them from dist/snapshot-lazy.cjs, next
   to dist/launch.cjs, if ever asked. Blob 6.5 → 6.1 MB, peak RSS −1.1 MB, −0.8 ms.
   Code that runs only while plugins and routes register, which for the snapshot's app is at build
   time, goes to that side file too: semver (Fastify's plugin version checks: ~40 regexes and a
   64 kB table), safe-regex2 and its parser ret (find-my-way's check of regex routes) and Fastify's
   Ajv-made validator of its own options. While the blob builds, their stand-ins run it from there
   and drop it before the heap is written; a later use (a second app, in tests) loads it again.
   Snapshot bundle 372 → 310 kB, blob 6.1 → 5.8 MB, per-connection −1.1 to −2.8 ms, peak RSS −0.8 MB.
   The dice take the kernel's random bytes from /dev/urandom through node:fs, with
   \`crypto.randomInt\`'s method (48-bit draws, rejection sampling, a pool filled on first use;
   src/random.ts) instead of loading node:crypto, whose internals were ~210 kB of the blob for one
   function: blob 5.8 → 5.6 MB, per-connection −1.1 ms, peak RSS −0.5 MB. The
   file stays open from the start, so a flood that takes every fd still gets its dice.
4. **A quick fd probe.** Per-connection mode only needs to know that its socket is not a
   listener. Reading all of /proc/net/tcp (one row per TCP socket of the host, TIME_WAIT included)
   cost a start ~35 ms on this machine with 8,500 rows; the kernel lists listeners first, so
   src/systemd/fd-kind.ts reads only that block, and skips /proc/net/tcp6 when /proc/net/sockstat6
   counts no IPv6 TCP socket (reading even an empty tcp6 walks the whole connection hash, ~4 ms).
   Listener mode probes quickly too; the full probe runs only to explain a wrong fd.
   \`--mode=per-connection\` (what the units run) reads no table at all for a TCP connection: once
   it holds the socket, a peer address (\`socket.remoteAddress\`, getpeername(2)) proves it is
   not a listener; only a socket without one (a listener, a unix socket) gets the probe, which
   then explains a wrong fd with the same message and exit code 6 as before. −1.3 ms.
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
     through it (src/logger-forwarder.ts), and the request line itself is written by hand
     (src/http/request-log.ts).
   - nothing at build time touches randomness, pid, env or config. test/snapshot.ts proves it:
     three instances from one blob give three different sets of 100 rolls and log the pids
     systemd-socket-activate gave them; test/import-time.ts, that no module reads them as it loads.
   - **warm-up requests**: \`/roll\`, \`/roll?dice=2d6+1\` and \`/healthz\` run through Fastify's own
     request handler at build time (src/snapshot/warm-up.ts), so the code of a request (routing,
     hooks, validation, our handler, serialization, the request log line) is compiled in the blob
     rather than at every start: −2.6 ms. node:http is not there yet, so the request and response
     are small stand-ins. Nothing of theirs may stay: the rolls come from a stand-in that never
     draws from the real source (a build-time draw would fill its pool of random bytes, and every
     instance would roll the same numbers), the pino logger is a throwaway writing nowhere, and
     Fastify's request-id counter is wound back, so each instance still logs \`req-1\`
     (test/snapshot.ts checks both).
   - main.ts's own modules (config, activation, logger, transports...) are evaluated at build time
     as well, so a start only runs \`main()\`: nothing in them reads env, pid or config at load.
     Their start path (parsing the flags, reading \`LISTEN_*\`, planning the mode, the quick
     listener probe) runs once at build time on made-up input, so it is compiled in the blob too
     (listener cold start −1 to −3 ms).
   - **Node's own connection code**: a function is compiled on its first call, and the modules in
     the blob had only run what loading Fastify runs. A connection is a \`net.Socket\`, a Duplex
     stream, with timers and an AbortSignal, so the build pushes a request and writes an answer
     through a plain Duplex, arms and clears a timer and aborts a signal, leaving nothing behind
     (\`warmNodeInternals\`). Functions compiled at each start (\`--log-function-events\`): 243 → 198;
     on Node 20, per-connection p50 −0.8 ms and cold listener −1.0 ms; no change on Node 26, whose starts compile none of those (137 functions in all). What
     is still compiled at every start is mostly node:http's (about 70 functions, as many as a bare
     node:http server compiles: it cannot be in the blob) and 50 of our own, from main() on.
   - at build time node:http/https/http2/dns are lazy stand-ins (scripts/esbuild-plugins.mjs), and
     depd, which inspects call sites at load, is a no-op (its warnings concern APIs we don't call).
   - \`import.meta.url\` (notify.ts finds its native addon by it) is read at run time from
     \`process.argv[1]\`, which the launcher sets to dist/launch.cjs.
6. **dist/diceroll**: the launcher the units run, a short \`/bin/sh\` script that \`exec\`s node
   (same pid, so \`LISTEN_PID\` still matches). A blob only works with the exact node binary that
   built it (another one exits with status 14 before running any of our code), so the build
   hard-links that binary as dist/.node and the launcher checks \`[ node -ef dist/.node ]\`: no extra
   process. After a Node upgrade the check fails and the launcher runs dist/launch.cjs (bundle +
   code cache) until \`npm run build\` is run again; the debug log says so.

7. **dist/diceroll-per-connection.blob**: the same snapshot, built and run with
   \`--no-rehash-snapshot\`; the launcher picks it for \`--mode=per-connection\` only. A snapshot's
   hash tables are keyed with the hash seed V8 drew when the blob was built; by default each start
   draws a new seed and rehashes the whole heap (~5 ms here). Without the rehash every
   per-connection instance of one blob keeps the build's seed, which weakens V8's defence against
   hash-flooding (an attacker who knows the seed can craft keys that collide). Why that is
   acceptable there, and only there:
   - the seed is still random and local: \`npm run build\` and \`install-units\` build the blob on
     the host that runs it, so no two hosts share a seed, and it never leaves the host (the
     package excludes the blobs; a local user who can read the prefix could read it, but a local
     user has cheaper ways to load the host). Finding it from outside means timing many requests
     against instances that each live for one request.
   - a per-connection instance serves one request, bounded by \`--request-timeout\` and Node's
     16 kB header limit, and then exits: a flood costs one process at most the time of one bounded
     request, not a long-lived server's CPU for all its clients.
   - the listener (and standalone) serves every client from one long-lived process, where a
     flood would hurt: it keeps the rehashed blob.
   −5 ms per connection. Run \`npm run build\` (or \`install-units\`) again to draw a new seed.
8. **Only the code cache the blob needs** (scripts/prune-code-cache.mjs). Node's snapshot builder
   writes V8's code cache for every one of its builtins into the blob (324 on Node 20, 443 on
   Node 26): 4.2 of the 8.9 MB on Node 26, and even a blob of an empty script is 7.2 MB there.
   Every start reads the whole file and copies each cache entry, yet an entry only matters for a
   builtin compiled after deserialization. diceroll compiles 21 (\`NODE_DEBUG_NATIVE=CODE_CACHE\`
   lists them): node:http behind its stand-in, and what \`net.Server#listen\` on an fd pulls in
   (cluster, child_process, dgram). The build rewrites each blob keeping those entries only:
   8.9 → 4.9 MB on Node 26, 5.6 → 2.9 MB on Node 20. Measured on Node 26 (\`bench/ab.mjs\`, 6
   rounds × 10): per-connection p50 −7 ms (1.86× → 1.64× \`node -e 0\`), cold listener −5 ms, peak
   RSS 53.3 → 49.4 MB. The layout is Node's, not a documented format: the build finds the cache as
   the only tail of the file laid out as Node's \`SnapshotData::ToBlob\` writes it, leaves a blob
   it does not recognise as built, and puts the original back if the pruned one does not start. A
   builtin that is not kept and is loaded anyway compiles from its source, slower and otherwise
   the same; test/snapshot.ts fails if a request in either model compiles one without its cache.
9. **No /proc table read at start.** To check that fd 3 is a listener (and, for a per-connection
   unix socket, that it is a connection), diceroll used to look its inode up in \`/proc/net/tcp\`.
   That read walks the kernel's whole TCP connection hash however few sockets there are: 5.6 ms on
   this 24 GiB host, more on a bigger one. It now asks \`getsockopt(SO_ACCEPTCONN)\` through the
   sd_notify addon, which a unit's main process loads anyway; /proc is read only for the words of
   an error, or when the addon is not built. Cold listener −3.3 ms on Node 26 (\`bench/ab.mjs
   --cold\`), per-connection over a unix socket −12 ms.
10. **No baseline compiler in a per-connection instance.** V8's Sparkplug compiles each function
   that has run a few times to machine code, batched on a worker thread: in a process that serves
   one request and exits, that is work for code that runs a few times more. A \`--log-function-events\`
   run of one instance counted 117 baseline compiles; \`perf\` put the V8 worker threads at three
   times their CPU in \`node -e 0\`. The per-connection blob is built and run with \`--no-sparkplug\`
   (the launcher passes it with \`--no-rehash-snapshot\`: a blob only starts with the flags it was
   built with, its code cache included). Measured interleaved (\`bench/ab.mjs\`, 20–24 rounds × 10):
   p50 −0.9 ms on Node 26, −2.1 ms on Node 20, and −2 to −3 ms of CPU per instance. The optimising
   tiers (Maglev, Turbofan) stay on: they wait for much hotter code than one request runs, and
   turning them off as well bought nothing more. \`--jitless\` (interpreter only, regular
   expressions too) was slower: see the levers table. The listener's blob (\`diceroll.blob\`,
   also standalone) is built and run with \`--no-sparkplug\` as well (\`LISTENER_FLAGS\`): its
   cold start compiles the same short-lived code, 0.4–1.8 ms sooner without it, and a warm
   request's hot path still goes to Maglev and Turbofan, so it costs no more instructions (the
   same on Node 26, 4% fewer on Node 20).

11. **Fewer page faults for the blob: glibc's malloc tunables.** Node reads the blob into one
   buffer of its size and copies the heap out of it into a second (two ~5 MB allocations on
   Node 26, ~3 MB on 20), and glibc gives each a fresh mapping whose 4 KiB pages fault one by one
   on first touch: a per-connection instance took 5,950 minor faults (\`/usr/bin/time\`), bare
   \`node:http\` 3,124 and \`node -e 0\` 2,815. A fault costs 1.5–2.5 µs on the VM that measured
   it (a C loop touching fresh pages), so those ~2,300 were ~4 ms of every start. The launcher
   starts node with \`GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432\`
   (\`MALLOC_TUNABLES\`, scripts/launchers.mjs): allocations up to 32 MiB come from malloc's heap,
   in 2 MiB transparent huge pages: where the kernel's THP mode is \`madvise\` (this machine's)
   glibc asks for them (\`MADV_HUGEPAGE\`); at \`always\` (Debian's kernels: the VM suite prints the
   guest's mode) the kernel uses them for the heap anyway. Faults 5,950 → ~3,300. Measured interleaved
   (\`bench/ab.mjs\`, 20 rounds × 10): per-connection p50 −4.2 ms on Node 26 (1.36× → 1.20×
   \`node -e 0\` in that run), −1.1 ms on Node 20; cold listener −4.0 / −3.7 ms; warm CPU per
   request unchanged; peak RSS per instance +3.7 MB on Node 26 (1.17× → 1.26×) and +1.7 MB on
   Node 20, a listener's idle RSS +3–4 MB: huge pages are counted whole, and the first buffer,
   freed, stays in the heap for later allocations. Other C libraries ignore the variable; with
   THP \`never\` only the heap part applies. A unit that sets
   \`GLIBC_TUNABLES\` itself (\`Environment=GLIBC_TUNABLES=\`, even empty) keeps its own. The start
   from the bundle (Node 22's listener, or without a usable blob) is left as it was: not measured.

Apart from those deliberate choices (\`--no-sparkplug\` in both blobs, \`--no-rehash-snapshot\` for
per-connection instances only; step 11's malloc settings are not V8's), no V8 flag is on the
command line: flags make Node refuse its own built-in code cache, which the bundle fallback
(\`dist/launch.cjs\`, started without them) uses.

**A known cost of the snapshot for a busy listener, on Node 22 only.** Warm, a listener started
from the snapshot on Node 22 spends more CPU per request than the same code started from the
bundle: 45.9–49.8 against 31.7–34.8 µs per keep-alive request (two interleaved runs, quiet
machine), about +43%. The profile shows \`process.nextTick\` several times slower in a process
whose snapshot build ran the tick queue, and every build does (Fastify's \`ready()\` runs on it).
\`node bench/snapshot-nexttick.cjs\` shows it without diceroll: 1,028 ns per \`nextTick\` after a
build that ran 100 ticks, against 158 ns without a snapshot, on 22.23.5. Node 20 has the slow
\`nextTick\` too (587 against 150 ns), yet there, as on 24 and 26, the warm request costs the same
from either start within the noise of two runs (below), so the faster start wins. The snapshot saves ~40 ms per cold
listener start, so on 22 it pays up to a few thousand requests per start; a listener that stays
up for far more spends less CPU started from the bundle. So the launcher decides per Node line;
per-connection instances start from their blob on every line.

### Node lines

\`dist/diceroll\` picks the start of a long-lived process (\`--mode=listener\`, \`--mode=standalone\`)
when it is built, from the node that builds it (\`LISTENER_START\` in scripts/launchers.mjs):

| Node | long-lived start | why |
|---|---|---|
| 20 | startup snapshot | warm CPU per keep-alive request snapshot against bundle: 38.6 / 39.6 and 37.8 / 33.7 µs (−3%, +12%: within the noise of two runs), for a cold start 32–41 ms faster |
| 22 | bundle + code cache | warm: 49.8 / 34.8 and 45.9 / 31.7 µs, +43–45% in both runs: the nextTick penalty |
| 24 | startup snapshot | warm: 35.3 / 35.4 and 33.7 / 33.1 µs, equal |
| 26 | startup snapshot | warm: 27.9 / 27.6 and 20.1 / 25.5 µs, equal or better |

What it costs on 22: a cold listener start from the bundle is ~40 ms slower (paid once per
start; with \`--idle-timeout\` once per idle period), against ~14 µs more CPU on every request for
the life of the process. A deployment that restarts its listener for every few requests can still
run the snapshot on 22 with a drop-in:
\`ExecStart=/usr/bin/node --no-sparkplug --snapshot-blob PREFIX/current/dist/diceroll.blob PREFIX/current/dist/launch.cjs --mode=listener ...\`.
Measured with \`node scripts/node-line.mjs <line> -- sh -c 'npm run build && node bench/node-line.mjs'\`
(5 interleaved rounds, \`NODE_EXTRA_CA_CERTS\` unset), two runs per line on a quiet 2-core machine
(Intel Xeon; \`node -e 0\` here takes ~40 ms in the harness); the first run of each:

| Node | \`node -e 0\` | per-connection p50 ÷ \`node -e 0\`: snapshot (bundle) | cold listener ÷ bare \`node:http\`: snapshot, bundle | warm CPU per keep-alive request ÷ bare \`node:http\`: snapshot, bundle |
|---|---:|---:|---:|---:|
| 20.20.2 | 37.7 ms | 1.52× (2.89×) | 1.22×, 1.91× | 1.74×, 1.79× |
| 22.23.5 | 42.4 ms | 1.57× (2.63×) | 1.35×, 2.10× | 2.13×, 1.49× |
| 24.22.3 | 39.7 ms | 1.65× (2.65×) | 1.21×, 1.86× | 1.87×, 1.88× |
| 26.12.1 | 43.6 ms | 1.55× (2.46×) | 1.22×, 1.66× | 1.78×, 1.76× |

The session that first chose the bundle for 20–24 measured on a machine at load 10–15 (2.5× on
20 then); these quiet runs overturned it for 20 and 24.

Where the penalty on 22 comes from is not known yet:
\`process.nextTick\` itself is optimised by TurboFan in both kinds of start
(\`%GetOptimizationStatus\`), so the slow part is further down the tick path
(lib/internal/process/task_queues.js: the \`TickObject\`s and the \`FixedQueue\` that only exist in
the heap when the build ran ticks), and no build-time step we found avoids it: Fastify's \`ready()\`
needs the tick queue.
`
