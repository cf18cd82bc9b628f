"""The load balancer in front of the replicas: an HAProxy configuration.

HAProxy checks each replica's /healthz every second (a replica without an index answers 503
and gets no traffic), sends each request to the least busy replica that is up, and sends a
GET or HEAD that failed on one replica (connection refused, dropped before any answer, or a
503) to another one, up to three times, so a replica that dies costs no request that it had
not started to answer. Connections refused three times in a row take a replica out at once.
"""

from dataclasses import dataclass

from .errors import SearchsvcError

CHECK_INTERVAL = "1s"
RETRIES = 3
ERROR_LIMIT = 3


@dataclass(frozen=True)
class Address:
    """host:port; an empty host (`:80`) means every address of the machine."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str, what: str, any_host: bool = False) -> "Address":
        """`what` names the address in the error; `any_host` allows an empty host."""
        host, colon, port = text.rpartition(":")
        if (not colon or not port.isdigit() or not 0 < int(port) < 65536
                or any(c.isspace() for c in host) or not (host or any_host)):
            raise SearchsvcError(f"{what} {text!r} is not HOST:PORT (for example "
                                 "127.0.0.1:8001)")
        return cls(host, int(port))

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def haproxy_config(bind: Address, replicas: list[Address], stats: Address | None = None) -> str:
    """haproxy.cfg text for `replicas` behind one listening address; with `stats`, HAProxy's
    statistics page there too (each replica's state, checks, retries; add `;csv` to the URL
    for CSV)."""
    if not replicas:
        raise SearchsvcError("name at least one replica (HOST:PORT) to balance over")
    servers = "\n".join(f"    server replica-{number} {address}"
                        for number, address in enumerate(replicas, start=1))
    text = f"""\
# HAProxy in front of searchsvc replicas, written by `searchsvc haproxy-config`.
# Check it with `haproxy -c -f FILE`; run it with `haproxy -f FILE`, or install it as
# /etc/haproxy/haproxy.cfg for Debian's haproxy service.

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout check 2s
    # A request that fails on one replica (connection refused, closed before any answer,
    # garbled, or a 503 from a replica without a usable index) is sent again, each time to
    # another replica, up to {RETRIES} times. Slow answers are not retried: the same query
    # would be as slow elsewhere and only add load.
    retries {RETRIES}
    option redispatch 1
    retry-on conn-failure empty-response junk-response 503

frontend searchsvc
    bind {bind}
    default_backend replicas

backend replicas
    balance leastconn
    # searchsvc has no write endpoint; should one appear, a retry must not apply it twice
    http-request disable-l7-retry unless METH_GET
    # /healthz every {CHECK_INTERVAL}: down after 2 failures, up after 2 answers; and down at
    # once after {ERROR_LIMIT} refused connections in a row, before the next check would tell
    option httpchk GET /healthz
    http-check expect status 200
    default-server check inter {CHECK_INTERVAL} fall 2 rise 2
    default-server observe layer4 error-limit {ERROR_LIMIT} on-error mark-down
{servers}
"""
    if stats is not None:
        text += f"""
listen stats
    bind {stats}
    stats enable
    stats uri /
    stats refresh 5s
"""
    return text
