"""Webhooks cannot be turned against our own network or against a stranger's URL.

- A URL is parsed with the resolver's rules when it is registered: every spelling of an inward
  address (``0x7f000001``, ``2130706433``, ``127.1``, ``0177.0.0.1``, ``localhost.``, percent-
  encoded hosts, IPv6 loopback, link-local and IPv4-embedding forms, userinfo tricks, CR/LF) is a
  422 naming the field, and nothing is written.
- At delivery a name is resolved once and the connection goes to the address that was checked,
  with the original Host header: a DNS answer that changes in between (rebinding) reaches
  nothing. The resolver is replaced by one an attacker controls; ``is_public_address`` is told
  that 127.0.0.2 is "the Internet", because no test may connect anywhere but this machine.
- A webhook hears nothing until it echoes the signed challenge POSTed to it; an unanswered
  challenge is retried until ``verify_by`` and the subscription then expires.

Every receiver is a real HTTP server on a loopback address.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from iris_engine.outbox import urls
from iris_engine.outbox.webhooks import _echoes, webhook_client
from iris_engine.roster.models import Subscription
from iris_engine.ticker import Ticker
from tests.integration.conftest import Cast, World
from tests.integration.test_outbox import (
    WebhookReceiver,
    accredited_lrn,
    count_subscriptions,
    outbox_rows,
    reinstate,
    subscription_status,
    suspend,
)

PRIVATE = pytest.mark.parametrize("settings_overrides", [{"webhook_allow_private": False}],
                                  indirect=True)


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(getattr(request, "param", {}))


#: URLs every one of which a resolver (or a URL parser a browser uses) reads as somewhere inward
INWARD = [
    # IPv4 loopback in the spellings inet_aton and getaddrinfo accept
    "https://0x7f000001/hook", "https://2130706433/hook", "https://127.1/hook",
    "https://0177.0.0.1/hook", "https://0x7f.0.0.1/hook", "https://0x7f.1/hook",
    "https://127.000.000.001/hook", "https://017700000001/hook", "https://127.0.0.1/hook",
    # other private, shared, link-local (cloud metadata), unspecified, multicast, broadcast
    "https://10.1.2.3/hook", "https://192.168.0.10/hook", "https://172.16.5.4/hook",
    "https://100.64.0.1/hook", "https://169.254.169.254/latest/meta-data", "https://0.0.0.0/hook",
    "https://0/hook", "https://224.0.0.1/hook", "https://255.255.255.255/hook",
    # names for this machine or a local network, including the FQDN form with a trailing dot
    "https://localhost/hook", "https://localhost./hook", "https://LOCALHOST/hook",
    "https://hooks.localhost/hook", "https://printer.local/hook", "https://metadata/hook",
    "https://metadata.google.internal/computeMetadata/v1/", "https://router.home.arpa/hook",
    "https://hooks.example.org./hook",
    # percent-encoded hosts
    "https://%6c%6f%63%61%6c%68%6f%73%74/hook", "https://127.0.0.%31/hook",
    "https://hooks%2eexample.org/hook",
    # IPv6: loopback, unspecified, link-local (with a zone), unique local, multicast, and IPv4
    # inside IPv6 (mapped, compatible, NAT64, 6to4)
    "https://[::1]/hook", "https://[0:0:0:0:0:0:0:1]/hook", "https://[::]/hook",
    "https://[fe80::1]/hook", "https://[fe80::1%25eth0]/hook", "https://[fc00::1]/hook",
    "https://[ff02::1]/hook", "https://[::ffff:127.0.0.1]/hook", "https://[::ffff:7f00:1]/hook",
    "https://[::ffff:169.254.169.254]/hook", "https://[::127.0.0.1]/hook",
    "https://[64:ff9b::a9fe:a9fe]/hook", "https://[2002:7f00:1::]/hook",
    "https://[127.0.0.1]/hook",
    # userinfo: the host is what follows the last @, whatever a reader sees first
    "https://hooks.example.org@127.0.0.1/hook", "https://user:pw@hooks.example.org/hook",
    "https://hooks.example.org:443@127.0.0.1/hook", "https://a@b@hooks.example.org/hook",
    "https://hooks.example.org\\@127.0.0.1/hook", "https://127.0.0.1\\.hooks.example.org/hook",
    # CR/LF (request splitting), other controls and blanks, anywhere
    "https://hooks.example.org/hook\r\nHost: 127.0.0.1", "https://hooks.example.org\n/hook",
    "https://hooks.example.org/ho\rok", "https://hooks.example.org/hook\x00",
    "https://hooks.example.org/\thook", " https://hooks.example.org/hook",
    "https://hooks.example.org /hook",
    # numbers that are no address in the usual form, and hosts that only look like names
    "https://1.2.3/hook", "https://hooks.example.123/hook", "https://hooks.example.0x7f/hook",
    "https://hooks.ex\u0430mple.org/hook", "https://\uff11\uff12\uff17.0.0.1/hook",
    "https://-hooks.example.org/",
    "https://hooks..example.org/hook",
    # not an https URL to a host and port
    "http://hooks.example.org/hook", "https:hooks.example.org/hook", "https:///hook",
    "https://hooks.example.org:0/hook", "https://hooks.example.org:65536/hook",
    "https://hooks.example.org:-1/hook", "https://hooks.example.org/hook#frag",
    "https://[::1/hook",
]


@PRIVATE
async def test_subscribing_an_inward_url_is_a_422_at_the_field(world: World, cast: Cast) -> None:
    _, lrn = await accredited_lrn(cast)
    before = len(await outbox_rows(world))
    accepted = []
    for url in INWARD:
        r = await world.client.post(f"/api/v1/roster/{lrn}/subscriptions",
                                    json={"channel": "webhook", "url": url})
        if r.status_code != 422:
            accepted.append((url, r.status_code))
            continue
        assert r.headers["content-type"].startswith("application/problem+json"), url
        [error] = r.json()["errors"]
        assert error["pointer"] == "/url" and error["message"], (url, error)
    assert accepted == []
    assert await count_subscriptions(world) == 0
    assert len(await outbox_rows(world)) == before

    # an authority's webhook URL meets the same rules (an admin's typo reaches no further)
    admin = await world.staff("admin@scheme.example", "admin", organisation="Scheme", kind="scheme")
    r = await admin.post("/api/v1/authorities", {
        "name": "Inspectorate", "countries": ["QA"], "remits": ["labour_exploitation"],
        "channel": "webhook", "webhook_url": "https://0x7f000001/hook"})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/webhook_url", r.text


@PRIVATE
async def test_public_urls_are_accepted_pending_their_challenge(world: World, cast: Cast) -> None:
    """Names are resolved only when delivering; nothing here is delivered (no test calls out)."""
    _, lrn = await accredited_lrn(cast)
    for url in ("https://hooks.example.org/iris?tenant=7", "https://HOOKS.Example.ORG:8443/x",
                "https://93.184.215.14/hook", "https://[2606:4700:4700::1111]/hook",
                "https://xn--bcher-kva.example/hook"):
        r = await world.client.post(f"/api/v1/roster/{lrn}/subscriptions",
                                    json={"channel": "webhook", "url": url})
        assert r.status_code == 201, (url, r.text)
        assert r.json()["status"] == "pending" and r.json()["verify_by"], r.text


def test_address_rules_see_through_ipv6_forms_that_carry_ipv4() -> None:
    public, inward = "8.8.8.8", "10.0.0.1"
    for form in ("::ffff:{}", "64:ff9b::{}", "::{}"):
        assert urls.is_public_address(ipaddress.ip_address(form.format(public))), form
        assert not urls.is_public_address(ipaddress.ip_address(form.format(inward))), form
    assert not urls.is_public_address(ipaddress.ip_address("2002:a00:1::"))  # 6to4 of 10.0.0.1
    assert urls.is_public_address(ipaddress.ip_address("2002:808:808::"))
    assert not urls.is_public_address(ipaddress.ip_address("2001:0:4136:e378:8000:63bf:f5ff:fffe"))


# -- delivery: resolved once, connected to what was checked ----------------------------------

class Resolver:
    """Answers for names under .example.test as the test says, call by call; the real resolver
    for everything else (the databases, the receivers' own addresses)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: dict[str, Callable[[int], str]] = {}
        self.calls: dict[str, int] = {}
        real = socket.getaddrinfo

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else host
            flags = kwargs.get("flags", args[3] if len(args) > 3 else 0)
            numeric_only = bool(flags & socket.AI_NUMERICHOST)
            if isinstance(name, str) and name.endswith(".example.test") and not numeric_only:
                self.calls[name] = self.calls.get(name, 0) + 1
                address = self.answers[name](self.calls[name])
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]
            return real(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Resolver:
    return Resolver(monkeypatch)


@pytest.fixture
def outside_is_127_0_0_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """127.0.0.2 stands for an address on the Internet, everything else keeps its rule."""
    rule = urls.is_public_address
    monkeypatch.setattr(urls, "is_public_address",
                        lambda address: str(address) == "127.0.0.2" or rule(address))


async def _subscription_row(world: World, lrn: str, url: str, *, status: str = "active") -> int:
    """A webhook stored by an older release (or by hand), so delivery's own checks are tested."""
    import secrets

    async with world.services.db.write() as session:
        sub = Subscription(lrn=lrn, channel="webhook", target=url, status=status,
                           secret=secrets.token_urlsafe(16), token_hash=secrets.token_hex(32),
                           created_at=world.clock())
        session.add(sub)
        await session.flush()
        return sub.id or 0


@PRIVATE
async def test_a_name_resolving_inward_is_never_connected_to(
        world: World, cast: Cast, resolver: Resolver) -> None:
    case_id, lrn = await accredited_lrn(cast)
    async with WebhookReceiver(world.clock, fail_first=0) as inside:
        name = "innocent.example.test"
        resolver.answers[name] = lambda _call: "127.0.0.1"
        r = await world.client.post(f"/api/v1/roster/{lrn}/subscriptions", json={
            "channel": "webhook", "url": f"https://{name}:{inside.port}/hook"})
        assert r.status_code == 201, r.text  # a name: only its resolution can tell
        # and rows written before these rules: a literal and a local name
        literal = await _subscription_row(world, lrn, f"http://127.0.0.1:{inside.port}/hook")
        local = await _subscription_row(world, lrn, f"https://localhost:{inside.port}/hook")
        await suspend(cast, case_id)
        report = await world.tick()
    assert inside.connections == 0
    assert report.outbox.delivered == 0
    [challenge] = await outbox_rows(world, subscription_id=r.json()["id"])
    assert challenge.status == "pending" and challenge.attempts == 1
    assert "resolves to 127.0.0.1, which is not a public address" in (challenge.last_error or "")
    assert await subscription_status(world, r.json()["id"]) == "pending"
    for sub_id in (literal, local):  # refused by the rules: no attempt can succeed
        [row] = await outbox_rows(world, subscription_id=sub_id)
        assert row.status == "dead" and "UndeliverableError" in (row.last_error or ""), row


def tls_for(name: str, directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A throwaway CA and a certificate for ``name``: the receiver's context, and a client
    context that trusts only that CA (and checks the name, as the relay's does)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)

    def certificate(subject: str, issuer: str, *, ca: bool) -> x509.Certificate:
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                   .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(hours=1))
                   .not_valid_after(now + timedelta(hours=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]),
                                            critical=False)
        return builder.sign(key, hashes.SHA256())

    ca = certificate("IRIS test CA", "IRIS test CA", ca=True)
    leaf = certificate(name, "IRIS test CA", ca=False)
    pem = serialization.Encoding.PEM
    (directory / "key.pem").write_bytes(key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (directory / "cert.pem").write_bytes(leaf.public_bytes(pem))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    client = ssl.create_default_context(cadata=ca.public_bytes(pem).decode())
    return server, client


@PRIVATE
async def test_delivery_is_pinned_to_the_address_that_was_checked(
        world: World, cast: Cast, resolver: Resolver, outside_is_127_0_0_2: None,
        tmp_path: Path) -> None:
    """DNS rebinding: the name answers the outside address to the first lookup and an inside
    one to every later lookup. The relay looks once per delivery and connects to the address it
    checked, over TLS whose server name (and certificate check) is still the name; the next
    delivery's lookup answers inside, and that is refused before any connection."""
    case_id, lrn = await accredited_lrn(cast)
    name = "rebind.example.test"
    resolver.answers[name] = lambda call: "127.0.0.2" if call == 1 else "127.0.0.1"
    server_tls, client_tls = tls_for(name, tmp_path)
    ticker = Ticker(world.services, "tls-ticker", http=webhook_client(10.0, verify=client_tls))
    try:
        async with WebhookReceiver(world.clock, fail_first=0, host="127.0.0.2",
                                   tls=server_tls) as outside, \
                WebhookReceiver(world.clock, fail_first=0, port=outside.port,
                                tls=server_tls) as inside:
            r = await world.client.post(f"/api/v1/roster/{lrn}/subscriptions", json={
                "channel": "webhook", "url": f"https://{name}:{outside.port}/hook"})
            assert r.status_code == 201, r.text
            outside.secret = r.json()["secret"]
            report = await ticker.tick(budget_seconds=float("inf"))
            assert report.outbox.delivered == 1, await outbox_rows(world)
            assert resolver.calls[name] == 1  # no second look between the check and connecting
            assert await subscription_status(world, r.json()["id"]) == "active"

            await suspend(cast, case_id)
            report = await ticker.tick(budget_seconds=float("inf"))
            assert (report.outbox.claimed, report.outbox.retrying) == (1, 1)
            [change] = await outbox_rows(world, topic="roster.status_changed")
            assert "resolves to 127.0.0.1, which is not a public address" in (change.last_error or "")
    finally:
        await ticker.stop()
    assert inside.connections == 0
    [challenge] = outside.challenges
    assert challenge.headers["host"] == f"{name}:{outside.port}" and challenge.signature_valid
    assert outside.requests == []
    assert resolver.calls[name] == 2


# -- the challenge ---------------------------------------------------------------------------

async def test_a_webhook_hears_nothing_until_it_echoes_its_challenge(
        world: World, cast: Cast) -> None:
    case_id, lrn = await accredited_lrn(cast)
    async with WebhookReceiver(world.clock, fail_first=0, answer_challenges=False) as receiver:
        r = await world.client.post(f"/api/v1/roster/{lrn}/subscriptions",
                                    json={"channel": "webhook", "url": receiver.url})
        assert r.status_code == 201, r.text
        sub = r.json()
        receiver.secret = sub["secret"]
        assert sub["status"] == "pending" and sub["confirmed_at"] is None
        verify_by = datetime.fromisoformat(sub["verify_by"])
        assert verify_by == world.clock() + timedelta(hours=world.settings.webhook_verify_hours)

        # the receiver answers 200 but does not echo: no better than silence
        report = await world.tick()
        assert (report.outbox.claimed, report.outbox.retrying) == (1, 1)
        [challenge] = receiver.challenges
        assert challenge.signature_valid and challenge.headers["iris-topic"] == "webhook.verify"
        data = challenge.payload["data"]
        assert len(data["challenge"]) >= 32 and data["lrn"] == lrn
        assert datetime.fromisoformat(data["verify_by"]) == verify_by
        assert await subscription_status(world, sub["id"]) == "pending"

        # the token cannot stand in for the receiver's answer
        r = await world.client.post("/api/v1/subscriptions/confirm", json={"token": sub["token"]})
        assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem")
        assert await subscription_status(world, sub["id"]) == "pending"

        # changes while pending are not queued for it, let alone sent
        await suspend(cast, case_id)
        assert await outbox_rows(world, topic="roster.status_changed") == []

        receiver.answer_challenges = True
        world.clock.advance(hours=1)
        report = await world.tick()
        assert report.outbox.delivered == 1
        assert [c.payload["data"]["challenge"] for c in receiver.challenges] == [data["challenge"]] * 2
        assert await subscription_status(world, sub["id"]) == "active"

        await reinstate(cast, case_id)
        await world.tick()
    [change] = receiver.requests
    assert change.payload["data"]["status"] == "accredited" and change.signature_valid


def test_only_the_exact_echo_verifies() -> None:
    assert _echoes(b'{"challenge": "the-challenge"}', "the-challenge")
    for answer in (b"", b"{}", b'{"challenge": "wrong"}', b'"the-challenge"', b"the-challenge",
                   b'{"challenge": 1}', b'{"challenge": "the-challenge-and-more"}',
                   b'[{"challenge": "the-challenge"}]', b'{"challenge": "the-challenge"'):
        assert not _echoes(answer, "the-challenge"), answer


@pytest.mark.parametrize("settings_overrides", [{"outbox_max_attempts": 1000}], indirect=True)
async def test_an_unanswered_challenge_expires_and_the_webhook_never_hears(
        world: World, cast: Cast) -> None:
    """Attempts are plenty here: the window is what closes."""
    case_id, lrn = await accredited_lrn(cast)
    async with WebhookReceiver(world.clock, fail_first=0, answer_challenges=False) as receiver:
        r = await world.client.post(f"/api/v1/roster/{lrn}/subscriptions",
                                    json={"channel": "webhook", "url": receiver.url})
        sub = r.json()
        verify_by = datetime.fromisoformat(sub["verify_by"])
        while world.clock() <= verify_by:  # retried with back-off while the window is open
            await world.tick()
            world.clock.advance(minutes=30)
        tries = len(receiver.challenges)
        [row] = await outbox_rows(world, subscription_id=sub["id"])
        assert tries > 5 and row.attempts == tries and row.status == "pending", (tries, row)
        assert await subscription_status(world, sub["id"]) == "pending"

        receiver.answer_challenges = True  # too late: the challenge is not sent again
        world.clock.advance(days=1)
        report = await world.tick()
        assert (report.outbox.claimed, report.outbox.dead) == (1, 1)
        assert len(receiver.challenges) == tries
        [row] = await outbox_rows(world, subscription_id=sub["id"])
        assert row.status == "dead" and "expired unanswered" in (row.last_error or "")
        assert await subscription_status(world, sub["id"]) == "expired"
        await suspend(cast, case_id)
        await world.tick()
    assert receiver.requests == []
    r = await world.client.post("/api/v1/subscriptions/confirm", json={"token": sub["token"]})
    assert r.status_code == 409
    r = await world.client.post("/api/v1/subscriptions/cancel", json={"token": sub["token"]})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


async def test_a_cancelled_pending_webhook_is_not_challenged(world: World, cast: Cast) -> None:
    _, lrn = await accredited_lrn(cast)
    async with WebhookReceiver(world.clock, fail_first=0) as receiver:
        r = await world.client.post(f"/api/v1/roster/{lrn}/subscriptions",
                                    json={"channel": "webhook", "url": receiver.url})
        sub = r.json()
        r = await world.client.post("/api/v1/subscriptions/cancel", json={"token": sub["token"]})
        assert r.json()["status"] == "cancelled"
        report = await world.tick()
    assert receiver.connections == 0 and report.outbox.dead == 1
    assert await subscription_status(world, sub["id"]) == "cancelled"


@pytest.mark.parametrize("settings_overrides", [{"outbox_max_attempts": 2}], indirect=True)
async def test_a_challenge_outlives_the_outbox_attempt_limit_until_its_window_closes(
        world: World, cast: Cast) -> None:
    """The subscriber was promised until ``verify_by``: a receiver down for a few hours must
    not lose its subscription because the outbox's attempt limit ran out first."""
    _, lrn = await accredited_lrn(cast)
    limit = world.settings.outbox_max_attempts
    async with WebhookReceiver(world.clock, fail_first=0, answer_challenges=False) as receiver:
        r = await world.client.post(f"/api/v1/roster/{lrn}/subscriptions",
                                    json={"channel": "webhook", "url": receiver.url})
        sub = r.json()
        for _ in range(limit + 2):
            await world.tick()
            world.clock.advance(hours=1)
        assert len(receiver.challenges) > limit
        assert await subscription_status(world, sub["id"]) == "pending"
        receiver.answer_challenges = True  # back in time: the next retry makes it active
        for _ in range(12):
            world.clock.advance(hours=2)
            await world.tick()
            if await subscription_status(world, sub["id"]) == "active":
                break
    assert await subscription_status(world, sub["id"]) == "active"

