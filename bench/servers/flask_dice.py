"""The classic recipe diceroll comes from (docs: ../../README.md): Flask served by werkzeug on
the socket systemd passes. `listener`: the listening socket is fd 3 (Accept=no), as in the blog
post; `per-connection`: the connection is stdin (Accept=yes, inetd style), one request, exit."""
import random
import socket
import sys

import flask
from werkzeug.serving import BaseWSGIServer, make_server

app = flask.Flask(__name__)


@app.route('/roll')
def roll_dice():
    return {'result': random.randint(1, 6)}


def main(mode):
    if mode == 'listener':
        sock = socket.fromfd(3, socket.AF_INET, socket.SOCK_STREAM)
        make_server('localhost', 5000, app, fd=sock.fileno()).serve_forever()
    else:
        # werkzeug has no one-connection server: a server object on a throwaway port provides
        # the request handler its settings; the request itself is read from stdin.
        conn = socket.socket(fileno=0)
        server = BaseWSGIServer('127.0.0.1', 0, app)
        server.finish_request(conn, conn.getpeername())
        conn.close()


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'listener')
