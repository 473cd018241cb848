"""A Dask cluster nobody else can use: a client connects to a tls:// scheduler with its certificate, or to a plain
address on this machine only (docs/cluster.md)."""

import ipaddress

SCHEDULER_TIMEOUT = 10   # seconds to wait for a Dask scheduler to answer
#: How a client finds its TLS files: Dask's own configuration, here as environment variables.
TLS_SETTINGS = ("DASK_DISTRIBUTED__COMM__TLS__CA_FILE", "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT",
                "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY")
TLS_HELP = ("make the cluster's files with `python -m assignment2 cluster-certs DIR`, which prints the scheduler, "
            "worker and client lines (docs/cluster.md)")


def _host(address: str) -> str:
    """The host of a scheduler address such as tcp://HOST:8786 or tls://[::1]:8786."""
    rest = address.split("://", 1)[-1]
    return rest[1:].split("]", 1)[0] if rest.startswith("[") else rest.rsplit(":", 1)[0] if ":" in rest else rest


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_scheduler(address: str) -> str:
    """``address`` if a client may connect to it: tls://, or tcp:// (or no scheme) on this machine's loopback;
    a plain address of another host only when Dask's distributed.comm.require-encryption is set to False
    (DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION=False). Otherwise a ConnectionError, before any connection."""
    import dask

    scheme = address.split("://", 1)[0] if "://" in address else "tcp"
    allowed = dask.config.get("distributed.comm.require-encryption", None) is False
    if scheme == "tls" or _loopback(_host(address)) or allowed:
        return address
    raise ConnectionError(f"scheduler {address}: a plain {scheme}:// address of another machine lets anyone who "
                          "reaches its port run code on every worker; use TLS (tls://, with the certificates of "
                          f"`python -m assignment2 cluster-certs DIR`), or on a network you trust allow it with "
                          "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION=False")


def dask_executor(address: str):
    """The executor of the Dask scheduler at ``address``, once ``check_scheduler`` allows it (a tls:// one with
    this client's certificate, from Dask's configuration); a ConnectionError in one line otherwise."""
    try:
        from distributed import Client
        from distributed.security import Security
    except ImportError:
        raise ImportError("scheduler needs Dask: pip install -e '.[cluster]'") from None
    check_scheduler(address)
    security = None
    if address.startswith("tls://"):
        security = Security(require_encryption=True)     # its files from Dask's configuration
        if not (security.tls_ca_file and security.tls_client_cert):
            raise ConnectionError(f"scheduler {address}: this client has no TLS certificate; set "
                                  f"{', '.join(TLS_SETTINGS)} ({TLS_HELP})")
    try:
        client = Client(address, timeout=SCHEDULER_TIMEOUT, security=security)
    except (OSError, TimeoutError, ValueError) as err:
        reason = " ".join(str(err).split()) or type(err).__name__
        raise ConnectionError(f"scheduler {address}: no Dask scheduler accepted this client within "
                              f"{SCHEDULER_TIMEOUT} s ({type(err).__name__}: {reason[:300]}); check the address, "
                              "that the scheduler runs, and that client and scheduler use the same protocol "
                              f"and certificate authority ({TLS_HELP})") from None
    return client.get_executor()
