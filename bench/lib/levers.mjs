// The fixed prose of docs/benchmarks.md on the levers issue #13 asked to try: what each bought,
// measured by hand with bench/ab.mjs (interleaved A/B), kept or not. Not remeasured by a run.
export const LEVERS = `## Levers tried for the goals (issue #13)

Each was measured with \`bench/ab.mjs\`, variants interleaved round by round, on the 2-core
machine while other jobs ran on it (load average 10–15, two emulated VMs): absolute figures there
are 3–5× a quiet machine's, so only the ratios between variants of one A/B run mean anything, and
differences under ~10% are noise. Nothing below changed the start path; none of them is shipped.

| lever | Node | how measured | figure | kept? |
|---|---|---|---|---|
| \`node:http\` inside the snapshot | 26.12.1 | a snapshot entry that only \`require('node:http')\`s | Node 26 warns that \`node:http\` is not verified in user snapshots, then **aborts the build** (V8 fatal "global handle not serialized": the \`http_parser\` binding object with \`HTTPParser\` and \`ConnectionsList\`); no blob is written. Not a warning on 26 either: the stand-ins of src/snapshot/ stay. | no (not possible) |
| semi-space size, per-connection (\`--min-semi-space-size=16\`, blob built with the same flag) | 20.20.2 | A/B, 6 rounds × 10 starts, with the shipped per-connection blob | No GC runs before a per-connection instance exits (a blob built with \`--trace-gc\` prints none), so there is nothing to save: p50 1.49× → 1.81× \`node -e 0\` (a larger new space to map and clear), peak RSS 47.1 → 47.6 MB. | no |
| \`--jitless\`, per-connection (blob built with it) | 20.20.2 | same A/B | p50 1.49× → 1.58× \`node -e 0\` (+6%, the interpreter only), peak RSS 47.1 → 45.8 MB (1.26× → 1.22× \`node -e 0\`'s). It would let the per-connection unit add \`MemoryDenyWriteExecute=yes\`. It costs the latency goal more than it helps the memory one, so not by default; a unit can opt in with a blob built with the flag. | no (trade-off) |
| the request-log line on the warm path | 26.12.1 | \`ab.mjs --warm\`, 4 rounds × 2 s, \`--log-level=warn\` against info (log into a pipe) | keep-alive 35.8 µs (no line) against 33.4 µs (line on): no difference above the noise; the batched write of one event-loop turn costs little. | – (nothing to remove) |
| snapshot start against the bundle start, warm | 26.12.1 | same A/B | keep-alive 33.4 µs (snapshot) against 47.2 µs (bundle): on 26 the snapshot start is not slower warm (Node 20's nextTick penalty is gone). | – |
| hooks, \`onRequestAbort\` listener, schema checks, lingering close (warm path) | 26.12.1 | a CPU profile of 5 s of wrk keep-alive (\`--cpu-prof\`, the bundle) | The profile is flat: the biggest single item is the socket write itself (\`writeUtf8String\`, ~21% of busy time, paid by bare \`node:http\` too), then GC (~8%); no Fastify hook, schema check or our own function reaches 4%. Nothing stood out as costing more than the peer pays; not pursued further in the time. | – |
| single executable application (\`--build-sea\`, \`useSnapshot\` with the per-connection entry, \`execArgv: ["--no-rehash-snapshot"]\`) | 26.12.1 | \`ab.mjs\`, 6 rounds × 10 starts, quiet machine, against the shipped \`dist/diceroll\` launcher | per-connection p50 1.57× → **1.43×** \`node -e 0\` (−5 ms: no sh, no second exec, no blob file to open); cold listener 1.76× → 1.56×. But peak RSS per instance 53.3 → **92.5 MB** (1.28× → 2.22× \`node -e 0\`'s: the 160 MB executable carries node and the blob, and the blob section is read in), each release would be a 160 MB file, and a Node security update would reach it only through a rebuild (the path unit heals the launcher design instead). Fresh dice per instance held. It helps the latency goal and wrecks the memory one. | no |
| instructions per warm keep-alive request, counted (this host's CPU time is too noisy for µs A/Bs, and its VM has no PMU for \`perf stat\`) | 20.20.2 | each server under \`valgrind --tool=cachegrind --cache-sim=no\` behind \`systemd-socket-activate\`, 2,000 and 6,000 sequential keep-alive \`GET /roll\` on one connection, the difference ÷ 4,000 (start and warm-up cancel out); logs into a file; diceroll from the bundle (the snapshot does not start under valgrind) | bare \`node:http\` 82.7k; stock Fastify, no logger 100.0k (1.21×); stock Fastify, \`logger: true\` 171.1k (2.07×); diceroll 175.1k (2.12×; 1.02× stock with its logger); diceroll at \`--log-level=warn\` 153.3k. So the request line costs ~22k instructions, and ~53k per request go to diceroll's own path above Fastify's (hooks, connection tracking, the route and its schema): the target for the warm goals. | – (diagnosis) |

The new-connection-each gap (diceroll about 1.3× bare \`node:http\` on Node 26 but 2–3× on Node
20 in the same A/B runs, where stock Fastify is about 1.1–1.3×) is the next target; an strace of
it on Node 20 shows per request one more \`read(2)\` (the lingering close reading the client's FIN),
one more \`epoll_ctl\`, a \`getpeername\` (the peer address read at accept) and one log \`write(2)\`
(one request per event-loop turn, so the batch holds one line), which does not account for the gap
by itself.`
