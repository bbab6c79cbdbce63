"""The browser chat: a LINE-like phone page at `/` that stands in for LINE (the QA wing).
`app.py` mounts it; see `room.py` for the path a visitor's step takes."""
