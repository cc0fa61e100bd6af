"""Accreditation's ``submit`` asks the training records through the ``Qualifications`` some
domain provides (with none, the guard refuses every submission: closed by default), and the
demo's recruiters submit only once a domain readied them. The application as built must have
both from the training domain."""

from __future__ import annotations

from pathlib import Path

from iris_engine.domains import DOMAINS
from iris_engine.qualifications import Qualifications
from iris_engine.services import build_services
from iris_engine.settings import Settings
from tests.conftest import REPO


def test_the_training_domain_answers_accreditations_question(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'iris.db'}",
                        secret_key="test-secret-key-of-at-least-32-bytes!",
                        workflows_dir=REPO / "workflows", codes_dir=REPO / "codes_of_conduct",
                        scheduler=False)
    services = build_services(settings)
    assert len(services.engine.resources.all(Qualifications)) == 1


def test_the_training_domain_readies_the_demos_recruiters() -> None:
    [training] = [d for d in DOMAINS if d.name == "training"]
    assert training.prepare_demo_organisations is not None
