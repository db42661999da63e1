import os
import socket
import subprocess
import sys

from jobintel.processes import pid_alive, this_host, this_owner


def test_pid_alive_tells_live_processes_from_ended_ones_and_group_ids() -> None:
    """A live pid (ours, our parent) is alive; an exited child's pid, 0 and negative pids
    (process groups, not processes) and an out-of-range pid are not; the owner id is host:pid."""
    with subprocess.Popen([sys.executable, "-c", "pass"]) as child:
        child.wait()
    assert pid_alive(os.getpid())
    assert pid_alive(os.getppid())
    assert not pid_alive(child.pid)
    assert not pid_alive(0)
    assert not pid_alive(-1)
    assert not pid_alive(2**40)
    assert this_host() == socket.gethostname()
    assert this_owner() == f"{socket.gethostname()}:{os.getpid()}"
