"""What the access log may show of a request: its path and query, with secrets masked.

A handler says what of its request is secret, as data: ``opt={"log_mask": LogMask(...)}`` on
the handler, its controller or router (a grievance reference in the path, the query string
of an identity read). ``AccessLogMask`` is a logging filter built from the app's routes;
``create_app`` puts it on uvicorn's access logger, so ``iris serve`` and a bare
``uvicorn iris_engine.asgi:app`` both write masked lines. A masked path parameter is masked in
any path under it too (a mistyped URL carries the same reference), and the one filter also
masks the path the error handler logs.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litestar import Litestar

__all__ = ["LOG_MASK_OPT", "MASKED", "AccessLogMask", "LogMask", "install"]

LOG_MASK_OPT = "log_mask"
MASKED = "***"
_PARAM = re.compile(r"^\{(\w+)(?::\w+)?\}$")


@dataclass(frozen=True, slots=True)
class LogMask:
    """What the access log must not show of a handler's requests."""

    #: path parameters whose values are secret (a grievance reference)
    params: tuple[str, ...] = ()
    #: the query string is secret (an identity read's purpose; anything a client misplaces)
    query: bool = False


@dataclass(frozen=True, slots=True)
class _Rule:
    #: matches a path the rule applies to; masked parameters are named groups
    pattern: re.Pattern[str]
    params: tuple[str, ...]
    query: bool

    @classmethod
    def of(cls, template: str, mask: LogMask) -> _Rule | None:
        segments = [s for s in template.split("/") if s]
        names = [m.group(1) if (m := _PARAM.match(s)) else None for s in segments]
        masked = tuple(n for n in names if n in mask.params)
        if not masked and not mask.query:
            return None
        parts = []
        for segment, name in zip(segments, names, strict=True):
            if name in masked:
                parts.append(f"(?P<{name}>[^/]+)")
            else:
                parts.append(re.escape(segment) if name is None else "[^/]+")
        if masked:  # a masked parameter: any path that starts as the route does, up to it
            last = max(i for i, n in enumerate(names) if n in masked)
            pattern = "^/" + "/".join(parts[:last + 1]) + "(?=/|$)"
        else:
            pattern = "^/" + "/".join(parts) + "/?$"
        return cls(re.compile(pattern), masked, mask.query)


class AccessLogMask(logging.Filter):
    """Masks secrets in the request target of uvicorn's access-log records."""

    def __init__(self, rules: list[_Rule]) -> None:
        super().__init__()
        self._rules = rules

    @classmethod
    def for_app(cls, app: Litestar) -> AccessLogMask:
        rules = []
        for route in app.routes:
            for handler in getattr(route, "route_handlers", ()):
                mask = handler.opt.get(LOG_MASK_OPT)
                if isinstance(mask, LogMask) and (rule := _Rule.of(route.path, mask)):
                    rules.append(rule)
        return cls(rules)

    def mask(self, target: str) -> str:
        """``target`` (a path and query, as a server logs it) with its secrets masked."""
        path, question, query = target.partition("?")
        for rule in self._rules:
            found = rule.pattern.search(path)
            if found is None:
                continue
            spans = sorted((found.span(n) for n in rule.params), reverse=True)
            for start, end in spans:
                path = path[:start] + MASKED + path[end:]
            if rule.query and question:
                query = MASKED
        return path + question + query

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn's access records: (client, method, path with query, HTTP version, status)
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], self.mask(args[2]), args[3], args[4])
        return True


def install(mask: AccessLogMask, logger_name: str = "uvicorn.access") -> None:
    """Put ``mask`` on the server's access logger, instead of any mask put there before (a
    process serves one app; a test suite builds many, and the last one's routes count)."""
    logger = logging.getLogger(logger_name)
    for old in [f for f in logger.filters if isinstance(f, AccessLogMask)]:
        logger.removeFilter(old)
    logger.addFilter(mask)
