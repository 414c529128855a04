"""Runs one command and reports its own peak memory: `python -I -S launcher.py RESULT_FILE COMMAND...`.

A child's ru_maxrss starts from its parent's resident size at fork and survives execve, so a command
started by a grown benchmark process reports the benchmark's size. This launcher is a new, small
interpreter (stdlib only, no site): the command it forks starts from the launcher's few megabytes,
and wait4 gives the largest peak of the command and the descendants it waited for. RESULT_FILE gets
{"exit_code", "seconds", "maxrss_kb"}; the launcher exits with the command's exit code.
"""

import json
import os
import signal
import sys
import time


def main() -> int:
    result_file, command = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        except OSError as error:
            os.write(2, f"cannot start {command[0]!r}: {error}\n".encode())
            os._exit(127)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the command; wait for its end
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    exit_code = os.waitstatus_to_exitcode(status)
    with open(result_file, "w", encoding="utf-8") as handle:
        json.dump(
            {"exit_code": exit_code, "seconds": seconds, "maxrss_kb": usage.ru_maxrss}, handle
        )
    return exit_code if exit_code >= 0 else 128 - exit_code


if __name__ == "__main__":
    sys.exit(main())
