"""The nursery's own questions (config `questions`, e.g. 利用理由), asked one at a time by
every flow that takes a band at a nursery: a booking, joining the waiting list.

A mixin for a `Flow` whose table has a `question` state, entered with `run.data["answers"]`
empty; each answer fires `answer` (the next question) or `answered` (the last one). An
answer is kept in the base language's words (staff read it), whatever the parent read.
"""

from __future__ import annotations

from domain.config import Nursery
from domain.replies import choices
from domain.services import Services
from flows.base import Input, Run


class NurseryQuestions:
    services: Services

    def nursery(self, run: Run) -> Nursery:
        return self.services.config.nursery(run.data["nursery"])

    def has_questions(self, run: Run) -> bool:
        return bool(self.nursery(run).questions)

    async def prompt_question(self, run: Run) -> None:
        at = len(run.data["answers"])
        q, kept = self.nursery(run).questions[at], self._base(run).questions[at]
        buttons = choices(*q.choices)
        run.out.say(q.text, *buttons)
        run.offer(buttons, list(kept.choices))

    async def on_question(self, run: Run, inp: Input) -> None:
        answer = await run.choice(inp)
        if answer is None:
            return
        questions = self.nursery(run).questions
        run.data["answers"][questions[len(run.data["answers"])].id] = answer
        await run.fire("answer" if len(run.data["answers"]) < len(questions) else "answered")

    def _base(self, run: Run) -> Nursery:
        return self.services.base_config.nursery(run.data["nursery"])

    def answers_text(self, run: Run) -> str:
        """The answers as a summary lists them, one `label：answer` a line, in the parent's
        words."""
        said = {q.id: q for q in self.nursery(run).questions}
        kept = {q.id: q.choices for q in self._base(run).questions}
        lines = []
        for key, answer in run.data["answers"].items():
            q = said[key]
            shown = q.choices[kept[key].index(answer)] if answer in kept[key] else answer
            lines.append(self.services.msg.answer_line.format(label=q.label, answer=shown))
        return "\n".join(lines)
