#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Accept one stream connection and copy every byte it sends to a file: the reader at the
other end of a unix: or tcp: sink (docs/output.md, tests/cli/sinks.sh).

    listen.py unix PATH OUT READY | listen.py tcp 127.0.0.1 OUT READY

READY is written once the socket listens: the socket's path, or the TCP port it got.
"""
import os
import socket
import sys

kind, where, out, ready = sys.argv[1:5]
if kind == "unix":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(where)
    name = where
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((where, 0))
    name = str(s.getsockname()[1])
s.listen(1)
s.settimeout(120)
with open(ready + ".tmp", "w") as f:
    f.write(name)
os.rename(ready + ".tmp", ready)
conn, _ = s.accept()
with open(out, "wb") as f:
    while True:
        b = conn.recv(65536)
        if not b:
            break
        f.write(b)
