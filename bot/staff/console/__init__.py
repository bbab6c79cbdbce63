"""The staff web console under /staff/: server-rendered pages in Japanese for nursery and
city staff, running the same staff operations as the CLI and the admin API (`setup.py`
mounts it)."""
