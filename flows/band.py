"""The end hour of a band, answered the same way by every flow that takes one at a
nursery (a booking, joining the waiting list).

A mixin for a `Flow` whose `end_hour` state was offered its end hours (`run.offer`) after
`run.data["start"]` was chosen; a chosen end fires `pick_end`.
"""

from __future__ import annotations

from domain import labels, normalize
from domain.services import Services
from flows.base import Input, Run


class BandEnd:
    services: Services

    async def on_end_hour(self, run: Run, inp: Input) -> None:
        end = run.chosen(inp)
        if end is None:
            await run.reask(self._why_not_end(run, inp))
            return
        run.data["end"] = int(end)
        run.data["answers"] = {}
        await run.fire("pick_end")

    def _why_not_end(self, run: Run, inp: Input) -> str:
        """An end hour typed too soon after the start cites the minimum; else the buttons."""
        min_hours, start = self.services.config.booking.min_hours, run.data["start"]
        typed = labels.parse_hour(normalize.fold(inp.text)) if inp.kind == "text" else None
        if typed is not None and start < typed < start + min_hours:
            return self.services.msg.booking_too_short.format(
                min=min_hours,
                start=labels.hour(start, self.services.msg.formats),
                earliest=labels.hour(start + min_hours, self.services.msg.formats),
            )
        return self.services.msg.choose_from_buttons
