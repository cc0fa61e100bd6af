"""The accreditation workflow's hooks for its scope (corridors and sectors): stated while the
application is prepared, required at submission, granted with the certificate and grown only
by an extension a scheme manager who did not audit the case grants."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from iris_engine.accreditation import scope as scopes
from iris_engine.accreditation.hooks import hooks
from iris_engine.accreditation.models import Accreditation, AccreditationScope
from iris_engine.accreditation.roster_scope import granted_scope, write_scope
from iris_engine.cases import Refusal, TransitionContext
from iris_engine.errors import FieldError
from iris_engine.store.models import Organisation

__all__: list[str] = []

#: what a recruiter sends to state the scope (in a refusal that asks for it)
_EXAMPLE = ('{"event": "update_scope", "data": {"corridors": [{"origin": "NP", "destination": '
            '"QA"}], "sectors": ["construction"]}}')


async def _row(session: AsyncSession, case_id: int) -> AccreditationScope | None:
    return await session.get(AccreditationScope, case_id)


# -- stating the scope -------------------------------------------------------------------
@hooks.guard("scope_valid", reads_input=True)
async def scope_valid(ctx: TransitionContext) -> None:
    errors = scopes.problems(ctx.request.data)
    if errors:
        raise Refusal("the scope cannot be accepted as stated", errors)


@hooks.effect("store_scope")
async def store_scope(ctx: TransitionContext) -> None:
    scope = scopes.of(ctx.request.data)
    row = await _row(ctx.session, ctx.case.id or 0)
    if row is None:
        ctx.session.add(AccreditationScope(case_id=ctx.case.id or 0, corridors=scope["corridors"],
                                           sectors=scope["sectors"], extension=None))
    else:
        row.corridors, row.sectors = scope["corridors"], scope["sectors"]


@hooks.guard("scope_stated")
async def scope_stated(ctx: TransitionContext) -> None:
    """A scope is stated, and its countries are among those the self-assessment says the
    recruiter operates in (principle A), or the organisation's own country."""
    row = await _row(ctx.session, ctx.case.id or 0)
    if row is None or not row.corridors or not row.sectors:
        raise Refusal("no scope has been stated: fire update_scope with the corridors and sectors "
                      f"the application covers, e.g. {_EXAMPLE}")
    detail: Accreditation = ctx.detail
    try:
        declared = detail.self_assessment["principles"]["A"]["countries_of_operation"]  # type: ignore[index]
    except (KeyError, TypeError):
        return  # no self-assessment to compare with: documents_valid says what is missing
    if not isinstance(declared, list):
        return
    organisation = await ctx.session.get(Organisation, ctx.case.organisation_id)
    known = {c for c in declared if isinstance(c, str)} | {organisation.country if organisation else ""}
    errors = [FieldError(f"/scope/corridors/{i}/{end}", f"{code} is not among the countries of "
                         "operation in the self-assessment (principle A)")
              for i, corridor in enumerate(row.corridors)
              for end, code in zip(("origin", "destination"), scopes.corridor_key(corridor),
                                   strict=True)
              if code not in known]
    if errors:
        raise Refusal("the scope names countries the self-assessment does not: add them to "
                      "countries_of_operation (update_self_assessment) or change the scope "
                      "(update_scope)", errors)


@hooks.effect("publish_scope")
async def publish_scope(ctx: TransitionContext) -> None:
    """The case's scope onto its roster entry (written by ``sync_roster`` before this)."""
    detail: Accreditation = ctx.detail
    assert detail.lrn is not None
    scope = await granted_scope(ctx.session, ctx.case.id or 0)
    await write_scope(ctx.session, detail.lrn, scope)
    ctx.outcome["scope"] = scopes.canonical(scope["corridors"], scope["sectors"])


# -- extending it after accreditation ----------------------------------------------------
@hooks.guard("no_scope_extension_pending")
async def no_scope_extension_pending(ctx: TransitionContext) -> None:
    row = await _row(ctx.session, ctx.case.id or 0)
    if row is not None and row.extension is not None:
        raise Refusal(f"an extension asked for on {_day(row)} ({scopes.show(row.extension)}) "
                      "awaits the scheme manager's decision")


@hooks.guard("scope_extension_valid", reads_input=True)
async def scope_extension_valid(ctx: TransitionContext) -> None:
    errors = scopes.problems(ctx.request.data,
                             granted=await granted_scope(ctx.session, ctx.case.id or 0))
    if errors:
        raise Refusal("the extension cannot be asked for as stated", errors)


@hooks.effect("record_scope_extension")
async def record_scope_extension(ctx: TransitionContext) -> None:
    extension = scopes.of(ctx.request.data)
    row = await _row(ctx.session, ctx.case.id or 0)
    if row is None:  # accredited before scopes were kept: the extension is all it will cover
        row = AccreditationScope(case_id=ctx.case.id or 0, corridors=[], sectors=[], extension=None)
        ctx.session.add(row)
    row.extension, row.extension_requested_at = extension, ctx.now


@hooks.guard("scope_extension_pending")
async def scope_extension_pending(ctx: TransitionContext) -> None:
    row = await _row(ctx.session, ctx.case.id or 0)
    if row is None or row.extension is None:
        raise Refusal("no extension of the scope has been asked for (request_scope_extension)")


@hooks.effect("grant_scope_extension")
async def grant_scope_extension(ctx: TransitionContext) -> None:
    row = await _row(ctx.session, ctx.case.id or 0)
    assert row is not None and row.extension is not None
    grown = scopes.extended({"corridors": row.corridors, "sectors": row.sectors}, row.extension)
    ctx.outcome["granted"] = row.extension
    row.corridors, row.sectors = grown["corridors"], grown["sectors"]
    row.extension, row.extension_requested_at = None, None


@hooks.effect("drop_scope_extension")
async def drop_scope_extension(ctx: TransitionContext) -> None:
    row = await _row(ctx.session, ctx.case.id or 0)
    assert row is not None
    ctx.outcome["refused"] = row.extension
    row.extension, row.extension_requested_at = None, None


def _day(row: AccreditationScope) -> str:
    return row.extension_requested_at.date().isoformat() if row.extension_requested_at else "?"
