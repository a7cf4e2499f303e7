"""Start a server in its own process group, wait until its port answers, stop it by pid: the
product's own code (`runtime.cli.emulators`, which `mlpoc rehearse` uses), re-exported."""

from runtime.cli.emulators import Server, free_port, port_open, start_server

__all__ = ["Server", "free_port", "port_open", "start_server"]
