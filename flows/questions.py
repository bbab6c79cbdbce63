"""The nursery's own questions (config `questions`, e.g. 利用理由), asked one at a time by
every flow that takes a band at a nursery: a booking, joining the waiting list.

A mixin for a `Flow` whose table has a `question` state, entered with `run.data["answers"]`
empty; each answer fires `answer` (the next question) or `answered` (the last one).
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
        q = self.nursery(run).questions[len(run.data["answers"])]
        buttons = choices(*q.choices)
        run.out.say(q.text, *buttons)
        run.offer(buttons, list(q.choices))

    async def on_question(self, run: Run, inp: Input) -> None:
        answer = await run.choice(inp)
        if answer is None:
            return
        questions = self.nursery(run).questions
        run.data["answers"][questions[len(run.data["answers"])].id] = answer
        await run.fire("answer" if len(run.data["answers"]) < len(questions) else "answered")

    def answers_text(self, run: Run) -> str:
        """The answers as a summary lists them, one `label：answer` a line."""
        by_id = {q.id: q.label for q in self.nursery(run).questions}
        return "\n".join(f"{by_id[k]}：{v}" for k, v in run.data["answers"].items())
