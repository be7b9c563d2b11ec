#!/usr/bin/env python3
"""Loads an `ovsdb-client dump --format=json` file into a running ovsdb-server.

Usage: sb_load_dump.py DUMP unix:SOCKET DB_NAME

Every row is inserted with its original UUID (the insert operation's "uuid" member,
ovsdb-server >= 2.14), all in one transaction, so references between tables (["uuid", ...])
stay valid. The request goes straight over the socket as JSON-RPC: a real dump is larger than
one command-line argument may be (128 KiB), which rules out `ovsdb-client transact`.
"""
import json
import socket
import sys


def read_docs(path):
    decoder = json.JSONDecoder()
    text = open(path, encoding="utf-8").read()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        doc, pos = decoder.raw_decode(text, pos)
        yield doc


def main():
    dump_path, remote, db_name = sys.argv[1:4]
    if not remote.startswith("unix:"):
        sys.exit("only unix: remotes are supported")
    ops = []
    for doc in read_docs(dump_path):
        table = doc["caption"].removesuffix(" table")
        for row in doc["data"]:
            values = dict(zip(doc["headings"], row))
            uuid = values.pop("_uuid")[1]
            values.pop("_version", None)
            ops.append({"op": "insert", "table": table, "uuid": uuid, "row": values})

    request = {"method": "transact", "params": [db_name] + ops, "id": 1}
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(20)
    sock.connect(remote[len("unix:"):])
    sock.sendall(json.dumps(request).encode())
    decoder, buf = json.JSONDecoder(), ""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            sys.exit("ovsdb-server closed the connection")
        buf += chunk.decode()
        try:
            reply, _ = decoder.raw_decode(buf.lstrip())
        except json.JSONDecodeError:
            continue
        if reply.get("id") != 1:        # e.g. an "echo" probe; not expected this early
            buf = ""
            continue
        break
    errors = [r for r in (reply.get("result") or []) if r and "error" in r]
    if reply.get("error") or errors:
        sys.exit("transaction failed: %s" % json.dumps(reply.get("error") or errors)[:2000])
    print(len(ops))


if __name__ == "__main__":
    main()
