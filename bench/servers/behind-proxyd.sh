#!/bin/bash
# The stock app unchanged behind systemd-socket-proxyd, the recipe systemd-socket-proxyd(8) gives
# for a server that knows nothing of socket activation: the socket starts the proxy, which
# forwards each connection to the app on a port of its own and exits after --exit-idle-time=
# (the app's unit, StopWhenUnneeded=yes, then stops with it). Run by systemd-socket-activate on
# the first connection: behind-proxyd.sh APP_PORT APP_ARGV...
# The idle time is long here: systemd-socket-activate cannot start the proxy again once it has
# exited, and the bench leaves it idle for minutes between rounds; it changes no figure.
# The app's unit has no readiness protocol (Type=simple): systemd would start the proxy before
# the app listens and the first connection would be refused. Waiting here until it listens is
# the best case of the recipe, as an ExecStartPost= that polls would give.
set -eu
app_port=$1
shift
"$@" "--port=$app_port" &
until (: >"/dev/tcp/127.0.0.1/$app_port") 2>/dev/null; do sleep 0.002; done
exec /lib/systemd/systemd-socket-proxyd --exit-idle-time=1h "127.0.0.1:$app_port"
