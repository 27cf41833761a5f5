"""The four ways to reach a hive: TCP console, REST gateway, a mounted tree, the mock core."""

from .base import Backend
from .fs import FilesystemBackend
from .mock import MockBackend
from .rest import RestBackend
from .tcp import TcpBackend

__all__ = ["Backend", "FilesystemBackend", "MockBackend", "RestBackend", "TcpBackend"]
