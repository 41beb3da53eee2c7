"""The local real stack: PostgreSQL, an S3 server (moto), ZooKeeper and a Druid cluster, run as processes.

Entry point: ``stack/stackctl.py`` (``up``, ``down``, ``status``); see ``stack/README.md``.
"""

LOOPBACK = "127.0.0.1"  # every service of the stack listens here, and only here
