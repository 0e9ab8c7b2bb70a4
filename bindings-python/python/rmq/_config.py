from typing import Optional, Sequence, Union

from . import _native
from ._args import option_seconds

__all__ = ["ClientConfig"]


class ClientConfig:
    """Settings shared by producers and consumers. Checked here (by the core), before any
    I/O.

    Args:
        endpoints: ``"host:port"``, several separated by ``;``, or a sequence of them (the
            proxy's gRPC port, 8081 on Apache RocketMQ; a mini-broker's ``endpoint``).
        access_key / secret_key / security_token: request signing (ACL); key and secret
            go together.
        namespace: the namespace sent with every request (default none).
        request_timeout: seconds each RPC may take (default 3.0).
        tls: False (cleartext, the default), True (verified against the system roots or
            ``tls_ca_pem``), or ``"trust-all"`` (any certificate; development only).
        tls_ca_pem: PEM text of the CA certificates to trust (implies ``tls=True``).
    """

    __slots__ = ("endpoints", "access_key", "secret_key", "security_token", "namespace",
                 "request_timeout", "tls", "tls_ca_pem", "_native")

    def __init__(self, endpoints: Union[str, Sequence[str]], *, access_key: Optional[str] = None,
                 secret_key: Optional[str] = None, security_token: Optional[str] = None,
                 namespace: str = "", request_timeout: float = 3.0,
                 tls: Union[bool, str] = False, tls_ca_pem: Optional[str] = None) -> None:
        if isinstance(endpoints, str):
            joined = endpoints
        elif isinstance(endpoints, (list, tuple)) and all(isinstance(e, str) for e in endpoints):
            joined = ";".join(endpoints)
        else:
            raise TypeError("endpoints must be a str or a sequence of str")
        for name, value in (("access_key", access_key), ("secret_key", secret_key),
                            ("security_token", security_token), ("tls_ca_pem", tls_ca_pem)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a str or None")
        if not isinstance(namespace, str):
            raise TypeError("namespace must be a str")
        if not isinstance(tls, (bool, str)):
            raise TypeError("tls must be True, False or 'trust-all'")
        settings = {"endpoints": joined,
                    "request_timeout": option_seconds(request_timeout, "request_timeout")}
        if namespace:
            settings["namespace"] = namespace
        if access_key is not None:
            settings["access_key"] = access_key
        if secret_key is not None:
            settings["secret_key"] = secret_key
        if security_token is not None:
            settings["security_token"] = security_token
        if tls_ca_pem is not None:
            settings["tls_ca_pem"] = tls_ca_pem
        # tls=False leaves the key out: the core's default is off, and a CA bundle alone
        # turns verified TLS on.
        if tls is True:
            settings["tls"] = "on"
        elif tls is not False:
            settings["tls"] = tls
        self._native = _native.Config(settings)
        self.endpoints = joined
        self.access_key = access_key
        self.secret_key = secret_key
        self.security_token = security_token
        self.namespace = namespace
        self.request_timeout = float(request_timeout)
        self.tls = tls
        self.tls_ca_pem = tls_ca_pem

    def __repr__(self) -> str:
        signed = ", signed" if self.access_key else ""
        return f"ClientConfig(endpoints={self.endpoints!r}, tls={self.tls!r}{signed})"
