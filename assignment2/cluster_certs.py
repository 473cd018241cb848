"""The files a small Dask cluster needs for TLS: a certificate authority of its own, and one certificate and key
signed by it that the scheduler, the workers and the client all present (Dask checks that every end holds a
certificate of the cluster's authority, not its host name). Made with the ``cryptography`` package."""

import datetime
from pathlib import Path

from .core.files import write_atomic

CA, CA_KEY, CERT, KEY = "ca.pem", "ca-key.pem", "node.pem", "node-key.pem"
DAYS = 365


def _key():
    from cryptography.hazmat.primitives.asymmetric import ec
    return ec.generate_private_key(ec.SECP256R1())


def _pem(key) -> bytes:
    from cryptography.hazmat.primitives import serialization
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _certificate(subject: str, key, issuer: str, signer, days: int, ca: bool):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    name = lambda text: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])
    builder = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                               ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(signer, hashes.SHA256())


def make_certificates(folder, days: int = DAYS) -> dict:
    """Write ca.pem, ca-key.pem, node.pem and node-key.pem into ``folder`` (made if missing; the keys readable by
    their owner only); return name -> path. An existing set is refused rather than replaced."""
    try:
        from cryptography.hazmat.primitives import serialization
    except ImportError:
        raise ImportError("cluster-certs needs the cryptography package: pip install -e '.[cluster]'") from None
    folder = Path(folder)
    paths = {name: folder / name for name in (CA, CA_KEY, CERT, KEY)}
    there = [str(path) for path in paths.values() if path.exists()]
    if there:
        raise FileExistsError(f"{', '.join(there)} exist already: give another folder, or remove them to make new ones")
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, node_key = _key(), _key()
    ca = _certificate("assignment2 cluster CA", ca_key, "assignment2 cluster CA", ca_key, days, ca=True)
    node = _certificate("assignment2 cluster node", node_key, "assignment2 cluster CA", ca_key, days, ca=False)
    write_atomic(paths[CA_KEY], _pem(ca_key), private=True)
    write_atomic(paths[KEY], _pem(node_key), private=True)
    write_atomic(paths[CA], ca.public_bytes(serialization.Encoding.PEM))
    write_atomic(paths[CERT], node.public_bytes(serialization.Encoding.PEM))
    return paths


def recipe(paths: dict, host: str = "127.0.0.1") -> str:
    """The commands that use the certificates: a scheduler on ``host``, its workers, and the client's settings
    (Dask's own configuration, read from the environment)."""
    tls = f"--tls-ca-file {paths[CA]} --tls-cert {paths[CERT]} --tls-key {paths[KEY]}"
    return "\n".join([
        f"dask scheduler --protocol tls --host {host} {tls}",
        f"dask worker tls://{host}:8786 --nworkers 2 --nthreads 1 {tls}",
        f"export DASK_DISTRIBUTED__COMM__TLS__CA_FILE={paths[CA]}",
        f"export DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT={paths[CERT]}",
        f"export DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY={paths[KEY]}",
        f"make report SCHEDULER=tls://{host}:8786",
    ])
