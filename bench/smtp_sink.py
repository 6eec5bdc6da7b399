"""An SMTP sink for bench/email, on Debian's python3-aiosmtpd.

usage: smtp_sink.py DIR

Listens on a free loopback port and prints "LISTENING <port>". Accepts every message; keeps
the first one as DIR/first.eml and writes DIR/stats.json ({"count", "first", "last"}: arrival
times in Unix seconds) twice a second.
"""

import asyncio
import json
import os
import sys
import time

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.first = None
        self.last = None

    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        self.count += 1
        if self.first is None:
            self.first = now
            with open(os.path.join(self.directory, "first.eml"), "wb") as f:
                f.write(envelope.original_content or envelope.content)
        self.last = now
        return "250 2.0.0 Ok"

    def write_stats(self):
        path = os.path.join(self.directory, "stats.json")
        with open(path + ".tmp", "w") as f:
            json.dump({"count": self.count, "first": self.first, "last": self.last}, f)
        os.replace(path + ".tmp", path)


def main():
    directory = sys.argv[1]
    sink = Sink(directory)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTP(sink, hostname="sink.bench"), host="127.0.0.1", port=0)
    )
    print("LISTENING %d" % server.sockets[0].getsockname()[1], flush=True)

    def tick():
        sink.write_stats()
        loop.call_later(0.5, tick)

    tick()
    loop.run_forever()


if __name__ == "__main__":
    main()
