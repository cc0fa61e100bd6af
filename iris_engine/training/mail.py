"""E-mails to learners, through the outbox (so they exist only if the transaction commits).

A learner has no account: their address is opened from the vault only to queue the message.
No e-mail carries the learner's name, and none is logged: the outbox row holds the address
because it must deliver to it; it is dropped with the rest when the learner is erased."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from iris_engine.outbox import enqueue
from iris_engine.settings import Settings
from iris_engine.training.models import Course, Learner, TrainingSession
from iris_engine.training.sealing import learner_place
from iris_engine.vault import Vault

__all__ = ["LearnerMail", "session_line"]


def session_line(course: Course, session: TrainingSession) -> str:
    """What a learner is told about a session: the course, when and where (no one's name)."""
    return (f"{course.title}, {session.starts_at:%d %B %Y, %H:%M} UTC, {session.venue} "
            f"(session #{session.case_id})")


class LearnerMail:
    """Writes the e-mails a learner receives; each one is one outbox row."""

    def __init__(self, vault: Vault, settings: Settings) -> None:
        self.vault = vault
        self.settings = settings

    def address(self, learner: Learner) -> str | None:
        if learner.email_sealed is None:  # erased
            return None
        return str(self.vault.open(learner.email_sealed, place=learner_place(learner.id or 0, "email")))

    def send(self, session: AsyncSession, learner: Learner, *, topic: str, subject: str,
             lines: Sequence[str], now: datetime, case_id: int | None = None) -> bool:
        """Queue one e-mail to the learner; False when their address is erased."""
        address = self.address(learner)
        if address is None:
            return False
        enqueue(session, channel="email", destination=address, topic=topic, now=now,
                case_id=case_id, payload={"subject": f"[IRIS] {subject}", "text": "\n".join(lines)})
        return True

    @property
    def base(self) -> str:
        return self.settings.public_url.rstrip("/")

    def confirm_request(self, session: AsyncSession, learner: Learner, token: str, what: str,
                        hours: int, now: datetime, case_id: int) -> None:
        self.send(session, learner, topic="training.confirm", case_id=case_id, now=now,
                  subject="Confirm your enrolment", lines=[
                      f"Someone (we hope you) asked to enrol with this e-mail address in: {what}.",
                      "", f"To confirm it, POST this token within {hours} hours to "
                      f"{self.base}/api/v1/training/enrolments/confirm:", "", f"    {token}", "",
                      "If it was not you, ignore this e-mail: the request lapses by itself."])

    def link(self, session: AsyncSession, learner: Learner, token: str, what: str,
             now: datetime) -> None:
        self.send(session, learner, topic="training.link", now=now,
                  subject="Your training record", lines=[
                      f"You are enrolled in: {what}.", "",
                      f"Your enrolments and certificates: GET {self.base}/api/v1/training/me "
                      "with the header X-Learner-Token set to this link token:", "",
                      f"    {token}", "",
                      "Keep it to yourself: it opens your training record. A newer link token "
                      "replaces this one."])
