"""HTTP for certificates: the public verification, status list and key set, and the copies a
certificate's holders download (the PDF and the signed credential)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, PathParameter

from iris_engine import bounds
from iris_engine.cases import Principal
from iris_engine.errors import NotFound
from iris_engine.people.tokens import OPTIONAL_AUTH_OPT
from iris_engine.training.certificate_schemas import CertificateVerification
from iris_engine.training.certificates import Certificates, Holder
from iris_engine.training.credentials import MEDIA_TYPE
from iris_engine.training.numbers import normalise
from iris_engine.web.headers import NO_STORE
from iris_engine.web.problems import problem_responses

__all__ = ["CERTIFICATE_ROUTES"]

_TAG = "certificates"
_PUBLIC = {"exclude_from_auth": True}
#: the learner's link token, or an access token, or both; neither reaches nothing
_HOLDER = {OPTIONAL_AUTH_OPT: True}
#: what a typed number may be: room for spaces, hyphens and a stray word (answered
#: ``unknown``, with a hint), little enough to refuse a flood before reading it
_TYPED = 100

Number = Annotated[str, PathParameter(
    min_length=1, max_length=_TYPED, pattern=bounds.NO_NUL,
    description="The certificate number, e.g. IRIS-TC-7K3QD2M8PXA (case, spaces and hyphens "
                "do not matter; O, I and L read as 0, 1, 1)")]
LearnerToken = Annotated[str | None, HeaderParameter(
    name="X-Learner-Token", required=False, min_length=1, max_length=bounds.TOKEN,
    pattern=bounds.NO_NUL, description="The learner's link token (from their e-mail)")]


def _holder(request: Request[Principal | None, Any, Any], learner_token: str | None) -> Holder:
    user = request.scope.get("user")
    return Holder(user if isinstance(user, Principal) else None, learner_token)


@get("/.well-known/jwks.json", operation_id="getCredentialKeys", tags=[_TAG], opt=_PUBLIC,
     cache_control=CacheControlHeader(public=True, max_age=3600),
     media_type="application/jwk-set+json")
async def jwks(certificates: NamedDependency[Certificates]) -> dict[str, Any]:
    """The public keys (JWK Set) that verify certificates' signed credentials and the status
    list: Ed25519 (OKP), EdDSA, named by the ``kid`` in each credential's header."""
    return certificates.signer.jwks()


@get("/api/v1/certificates/status-list", operation_id="getCertificateStatusList", tags=[_TAG],
     opt=_PUBLIC, cache_control=CacheControlHeader(public=True, max_age=300),
     media_type=MEDIA_TYPE)
async def status_list(certificates: NamedDependency[Certificates]) -> str:
    """The signed revocation list (W3C ``BitstringStatusListCredential``, a ``vc+jwt``): the
    bit at a certificate's ``statusListIndex`` is 1 once it is revoked."""
    return await certificates.status_list()


@get("/api/v1/certificates/{number:str}/verification", operation_id="verifyCertificate",
     tags=[_TAG], opt={**_PUBLIC, "rate_limit": "certificate-verification"},
     cache_control=CacheControlHeader(public=True, max_age=60),
     responses=problem_responses(429))
async def verification(number: Number,
                       certificates: NamedDependency[Certificates]) -> CertificateVerification:
    """Whether a certificate is genuine: valid (what it certified, to whom), expired, revoked
    (when, not why; and which certificate replaced it) or unknown (mistyped, or never issued).
    Never the learner's e-mail; after the records' retention period, no name either."""
    return await certificates.verification(number)


@get("/api/v1/certificates/{number:str}/credential", operation_id="getCertificateCredential",
     tags=[_TAG], opt=_HOLDER, security=[{"BearerToken": []}, {}], cache_control=NO_STORE,
     media_type=MEDIA_TYPE, responses=problem_responses(401, 404))
async def credential(request: Request[Principal | None, Any, Any], number: Number,
                     learner_token: LearnerToken,
                     certificates: NamedDependency[Certificates]) -> str:
    """The certificate as a signed Open Badges 3.0 credential (``vc+jwt``), which anyone can
    verify offline against ``/.well-known/jwks.json``: for the learner (``X-Learner-Token``),
    the training coordinator and the learner's organisation's coordinator; 404 for anyone else."""
    return await certificates.credential(number, _holder(request, learner_token))


@get("/api/v1/certificates/{document:str}", operation_id="getCertificatePdf", tags=[_TAG],
     opt=_HOLDER, security=[{"BearerToken": []}, {}], cache_control=NO_STORE,
     media_type="application/pdf", responses=problem_responses(401, 404))
async def printed(request: Request[Principal | None, Any, Any],
                  document: Annotated[str, PathParameter(
                      min_length=5, max_length=_TYPED + 4, pattern=bounds.NO_NUL,
                      description="The certificate number followed by .pdf")],
                  learner_token: LearnerToken,
                  certificates: NamedDependency[Certificates]) -> Response[bytes]:
    """The printed certificate (``{number}.pdf``), with a QR code of its verification URL: for
    the same people as its credential."""
    number, dot, kind = document.rpartition(".")
    if not dot or kind.lower() != "pdf":
        raise NotFound("certificates are downloaded as {number}.pdf")
    content = await certificates.pdf(number, _holder(request, learner_token))
    return Response(content, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{normalise(number)}.pdf"'})


#: what the training DOMAIN adds to ``routes``
CERTIFICATE_ROUTES = (jwks, status_list, verification, credential, printed)
