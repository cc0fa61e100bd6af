"""Reading who the survivor is, and their account: the most sensitive reads the engine serves.

The identity opens for the return officer holding the case, return supervisors and the partner
the case is shared with (its scope already needs the survivor's standing consent to that
sharing, so withdrawing it ends these reads at once); the account for the officer holding the
case and supervisors only. The referrer gave both and does not read them back. Every read is
recorded (who, role, basis: the scope through which the role reaches the case, purpose,
fields) in the reader's transaction before anything is decrypted; a refused read records
nothing. Once erased at the end of the retention period, neither is found.
"""

from __future__ import annotations

from typing import Any

from iris_engine.cases import Principal
from iris_engine.disclosure.reads import record_read
from iris_engine.errors import Forbidden, NotFound
from iris_engine.returns.models import ReturnCase
from iris_engine.returns.schemas import ReturnAccountView, ReturnIdentityView
from iris_engine.returns.sealing import sealed_place
from iris_engine.returns.service import WORKFLOW, ReturnCaseService
from iris_engine.store.models import Case
from iris_engine.vault import Vault

__all__ = ["ACCOUNT_READERS", "IDENTITY_READERS", "SurvivorReads"]

#: who reads what, in the order a caller's role is chosen
IDENTITY_READERS = ("return_officer", "return_supervisor", "partner")
ACCOUNT_READERS = ("return_officer", "return_supervisor")


class SurvivorReads:
    def __init__(self, cases: ReturnCaseService, vault: Vault) -> None:
        self.cases = cases
        self.vault = vault

    @staticmethod
    def _reader(case: Case, principal: Principal, roles: list[str], readers: tuple[str, ...],
                what: str) -> str:
        for role in readers:
            if role not in roles:
                continue
            if role == "return_officer" and case.assignee_id != principal.user_id:
                continue  # an officer reads only the survivor of a case it holds
            return role
        raise Forbidden(f"the survivor's {what} is read by the return officer holding the case, "
                        "return supervisors" + (" and the partner it is shared with"
                                                if "partner" in readers else ""))

    async def identity(self, principal: Principal, case_id: int, *,
                       purpose: str) -> ReturnIdentityView:
        async with self.cases.db.write() as session:
            case, roles = await self.cases.reach(session, principal, case_id)
            role = self._reader(case, principal, roles, IDENTITY_READERS, "identity")
            detail = await session.get(ReturnCase, case_id)
            assert detail is not None
            if detail.identity_sealed is None:
                raise NotFound("the survivor's identity was erased at the end of the retention "
                               "period")
            basis = self._record(session, principal, case_id, role, purpose, ["identity"])
            found: dict[str, Any] = dict(self.vault.open(
                detail.identity_sealed, place=sealed_place(case_id, "identity")))
            return ReturnIdentityView(name=str(found["name"]),
                                      date_of_birth=found.get("date_of_birth"),
                                      phone=found.get("phone"), email=found.get("email"),
                                      other=found.get("other"), basis=basis)

    async def account(self, principal: Principal, case_id: int, *,
                      purpose: str) -> ReturnAccountView:
        async with self.cases.db.write() as session:
            case, roles = await self.cases.reach(session, principal, case_id)
            role = self._reader(case, principal, roles, ACCOUNT_READERS, "account")
            detail = await session.get(ReturnCase, case_id)
            assert detail is not None
            if detail.narrative_sealed is None:
                raise NotFound("the survivor's account was erased at the end of the retention "
                               "period" if detail.purged_at is not None
                               else "the referral gave no account")
            basis = self._record(session, principal, case_id, role, purpose, ["account"])
            account = self.vault.open(detail.narrative_sealed,
                                      place=sealed_place(case_id, "narrative"))
            return ReturnAccountView(account=str(account), language=detail.language, basis=basis)

    def _record(self, session: Any, principal: Principal, case_id: int, role: str, purpose: str,
                fields: list[str]) -> str:
        basis = self.cases.engine.access.scope_name(role, WORKFLOW)
        record_read(session, case_id=case_id, principal=principal, role=role, purpose=purpose,
                    basis=basis, fields=fields, now=self.cases.engine.clock())
        return basis
