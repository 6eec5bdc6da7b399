#!/usr/bin/env python3
"""Runs a command and prints its wall time and peak RSS (its own maximum resident set).

    bench/measure.py [--stdout FILE] -- COMMAND ARGS...

Prints one line: `seconds=12.34 cpu_seconds=11.2 peak_rss_mb=45.6 exit=0` (cpu_seconds: user +
system time of the command, what it takes on an otherwise idle machine when it runs on one core).
"""
import os
import resource
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    stdout = None
    if args and args[0] == "--stdout":
        stdout = open(args[1], "wb")
        args = args[2:]
    if args and args[0] == "--":
        args = args[1:]
    start = time.monotonic()
    process = subprocess.Popen(args, stdout=stdout or subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    print(f"seconds={seconds:.2f} cpu_seconds={cpu:.2f} peak_rss_mb={usage.ru_maxrss / 1024:.1f} "
          f"exit={code}")


if __name__ == "__main__":
    main()
