"""Transport: LINE webhook server, LINE client, renderer, CLI, console chat, replays."""
