"""The Dask path on the loopback address only: TLS with the certificates of ``cluster-certs``, refused clients,
plain addresses of other hosts refused before any connection, and a worker lost in the middle of a search."""

import os
import signal
import ssl
import stat
import threading
import time

import pytest

from assignment2.study.splits import load_split
from assignment2.cluster_certs import CA, CA_KEY, CERT, KEY, make_certificates
from assignment2.core.train import TrainConfig
from assignment2.study import cluster, parallel, search, store
from assignment2.study.store import RunStore

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
pytest.importorskip("cryptography")

CONFIG = TrainConfig(n_s=10, batch_size=50, records_per_cycle=2, hidden=10)
LAMBDAS = [1e-4, 1e-3, 1e-2, 1e-1]
RESULT = ("lambda", "seed", "val_acc", "val_cost", "train_acc")


def rows_of(rows):
    return sorted(tuple(row[k] for k in RESULT) for row in rows)


@pytest.fixture(scope="module")
def split(synthetic_root):
    return load_split("search", synthetic_root)[:2]


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("tls") / "certs")


def _security(certs, **roles):
    files = {"tls_ca_file": str(certs[CA])}
    for role in ("scheduler", "worker", "client"):
        files |= {f"tls_{role}_cert": str(certs[CERT]), f"tls_{role}_key": str(certs[KEY])}
    return distributed.security.Security(require_encryption=True, **{**files, **roles})


@pytest.fixture(scope="module")
def tls_cluster(certs):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, protocol="tls://",
                                  host="127.0.0.1", security=_security(certs), dashboard_address=None) as cluster:
        yield cluster


def _client_files(certs) -> dict:
    """The client's TLS files in Dask's configuration, as DASK_DISTRIBUTED__COMM__TLS__* would set them."""
    return {"distributed.comm.tls.ca-file": str(certs[CA]), "distributed.comm.tls.client.cert": str(certs[CERT]),
            "distributed.comm.tls.client.key": str(certs[KEY])}


def test_the_certificates_are_a_ca_and_a_node_signed_by_it_with_private_keys(certs, tmp_path):
    for name in (CA_KEY, KEY):
        assert stat.S_IMODE(certs[name].stat().st_mode) == 0o600, name
    context = ssl.create_default_context(cafile=str(certs[CA]))
    context.load_cert_chain(str(certs[CERT]), str(certs[KEY]))          # the key matches its certificate
    from cryptography import x509
    node, ca = (x509.load_pem_x509_certificate(certs[name].read_bytes()) for name in (CERT, CA))
    node.verify_directly_issued_by(ca)
    with pytest.raises(FileExistsError, match="exist already"):
        make_certificates(certs[CA].parent)


def test_a_search_through_a_tls_scheduler_gives_the_rows_of_one_process(tls_cluster, certs, split, tmp_path):
    address = tls_cluster.scheduler_address
    assert address.startswith("tls://127.0.0.1:")
    with dask.config.set(_client_files(certs)):
        pool = parallel.executor(scheduler=address)
        rows = search.search_lambdas(LAMBDAS, *split, CONFIG, RunStore(tmp_path / "tls"), executor=pool)
        pool._client.close()
    assert rows_of(rows) == rows_of(search.search_lambdas(LAMBDAS, *split, CONFIG, RunStore(tmp_path / "here")))


def _refused(address: str, files: dict, within: float, monkeypatch) -> str:
    monkeypatch.setattr(cluster, "SCHEDULER_TIMEOUT", 3)
    start = time.perf_counter()
    with dask.config.set(files), pytest.raises(ConnectionError) as err:
        parallel.executor(scheduler=address)
    assert time.perf_counter() - start < within and "\n" not in str(err.value)
    return str(err.value)


def test_clients_without_the_cluster_certificate_are_refused_with_one_line(tls_cluster, certs, tmp_path, monkeypatch):
    address = tls_cluster.scheduler_address
    message = _refused(address, {"distributed.comm.tls.ca-file": None, "distributed.comm.tls.client.cert": None}, 1,
                       monkeypatch)
    assert message.startswith(f"scheduler {address}: this client has no TLS certificate")
    other = make_certificates(tmp_path / "other")          # a certificate of another authority
    message = _refused(address, _client_files(other), 15, monkeypatch)
    assert message.startswith(f"scheduler {address}: no Dask scheduler accepted this client within 3 s")
    trusting = {**_client_files(certs), "distributed.comm.tls.client.cert": str(other[CERT]),
                "distributed.comm.tls.client.key": str(other[KEY])}   # the right authority, another's certificate
    message = _refused(address, trusting, 15, monkeypatch)
    assert message.startswith(f"scheduler {address}: no Dask scheduler accepted this client within 3 s")
    plain = address.replace("tls://", "tcp://")             # plain TCP to the TLS port (loopback: not refused early)
    message = _refused(plain, {}, 15, monkeypatch)
    assert message.startswith(f"scheduler {plain}: no Dask scheduler accepted this client")


def test_a_plain_address_of_another_host_is_refused_before_any_connection(monkeypatch):
    def no_connection(*args, **kwargs):
        raise AssertionError("a connection was tried")
    monkeypatch.setattr(distributed, "Client", no_connection)
    for address in ("tcp://cluster.invalid:8786", "cluster.invalid:8786", "tcp://10.0.0.1:8786"):
        with pytest.raises(ConnectionError, match=f"^scheduler {address}: a plain tcp:// address of another machine"):
            parallel.executor(scheduler=address)
    for address in ("tcp://127.0.0.1:8786", "localhost:8786", "tcp://[::1]:8786", "tls://cluster.invalid:8786"):
        assert cluster.check_scheduler(address) == address
    with dask.config.set({"distributed.comm.require-encryption": False}):      # said explicitly: allowed
        assert cluster.check_scheduler("tcp://cluster.invalid:8786") == "tcp://cluster.invalid:8786"


def test_a_worker_killed_in_the_middle_of_a_search_loses_nothing(split, tmp_path):
    slow = TrainConfig(n_s=200, batch_size=20, records_per_cycle=2, hidden=64)      # runs of about a second
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        pool = client.get_executor()
        found = {}
        searching = threading.Thread(target=lambda: found.update(rows=search.search_lambdas(
            LAMBDAS, *split, slow, RunStore(tmp_path / "runs"), executor=pool)))
        searching.start()
        deadline = time.monotonic() + 60
        while not any(client.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        victim = next(pid for address, pid in client.run(os.getpid).items() if client.processing()[address])
        os.kill(victim, signal.SIGKILL)                    # a worker dies in the middle of a run
        searching.join(timeout=120)
        assert victim not in client.run(os.getpid).values()      # it was lost (its nanny started another)
    assert rows_of(found["rows"]) == rows_of(search.search_lambdas(LAMBDAS, *split, slow, RunStore(tmp_path / "here")))
    entries = sorted((tmp_path / "runs").iterdir())
    assert len(entries) == len(LAMBDAS) and all(store.RunStore(tmp_path / "runs").load(p.stem) for p in entries)
